'use client';
import { useActionState } from 'react';
import { signIn, type SignInState } from './actions';

export function SignInForm() {
  const [state, action, pending] = useActionState<SignInState, FormData>(signIn, { error: null });
  return (
    <form action={action}>
      <p>
        <label htmlFor="apiKey">API key</label>
        <input
          id="apiKey"
          name="apiKey"
          type="password"
          autoComplete="off"
          required
          placeholder="hb_..."
          aria-describedby="signin-error"
        />
      </p>
      <p id="signin-error" role="alert">
        {state.error ? (
          <span className="error" style={{ display: 'block' }}>
            {state.error}
          </span>
        ) : null}
      </p>
      <button type="submit" disabled={pending}>
        {pending ? 'Checking the key…' : 'Sign in'}
      </button>
    </form>
  );
}
