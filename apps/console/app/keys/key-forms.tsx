'use client';
import { useActionState, useState, useTransition } from 'react';
import { createKey, revokeKey, type KeyActionState } from './actions';

export function CreateKey() {
  const [state, action, pending] = useActionState<KeyActionState, FormData>(createKey, {
    ok: null,
    message: '',
  });
  return (
    <form action={action} aria-label="Create an API key">
      <div className="form-row">
        <label>
          Name
          <input name="name" required maxLength={200} placeholder="ward-3 tablet" />
        </label>
        <label>
          Role
          <select name="role" defaultValue="screening">
            <option value="screening">screening (screen and read)</option>
            <option value="admin">admin (also models, training, keys)</option>
          </select>
        </label>
        <button type="submit" disabled={pending}>
          {pending ? 'Creating…' : 'Create key'}
        </button>
      </div>
      {state.ok !== null ? (
        <div className={state.ok ? 'note' : 'error'} role="status">
          {state.message}
          {state.secret ? (
            <p>
              <code data-testid="new-secret">{state.secret}</code>
            </p>
          ) : null}
        </div>
      ) : null}
    </form>
  );
}

export function RevokeKey({ id, name }: { id: string; name: string }) {
  const [state, setState] = useState<KeyActionState | null>(null);
  const [pending, startTransition] = useTransition();
  return (
    <>
      <button
        type="button"
        className="danger"
        disabled={pending}
        onClick={() => {
          if (window.confirm(`Revoke "${name}"? Everything using it stops working at once.`))
            startTransition(async () => setState(await revokeKey(id)));
        }}
      >
        Revoke
      </button>
      {state && !state.ok ? <span className="down small"> {state.message}</span> : null}
    </>
  );
}
