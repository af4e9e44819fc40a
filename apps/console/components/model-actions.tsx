'use client';
// Promote / roll back / retire with a confirmation dialog that asks for the reason kept in the audit trail.
import { useRef, useState, useTransition } from 'react';
import { promoteVersion, retireVersion, rollBack, type ActionOutcome } from '../app/models/actions';

type Kind = 'promote' | 'rollback' | 'retire';

const TEXT: Record<Kind, { button: string; title: (v: string) => string; body: string }> = {
  promote: { button: 'Promote', title: (v) => `Promote ${v}?`, body: 'Every inference worker switches to this version. This overrides the promotion policy and is recorded in the audit trail.' },
  rollback: { button: 'Roll back', title: () => 'Roll back to the previous version?', body: 'The version that served before the current one serves again. Recorded in the audit trail.' },
  retire: { button: 'Retire', title: (v) => `Retire ${v}?`, body: 'The version can no longer be promoted. Recorded in the audit trail.' },
};

export function ModelAction({ kind, version }: { kind: Kind; version: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [outcome, setOutcome] = useState<ActionOutcome | null>(null);
  const [pending, startTransition] = useTransition();
  const confirm = () =>
    startTransition(async () => {
      const result = kind === 'promote' ? await promoteVersion(version, reason) : kind === 'rollback' ? await rollBack(reason) : await retireVersion(version, reason);
      setOutcome(result);
      dialog.current?.close();
    });
  return (
    <>
      <button type="button" className={kind === 'retire' ? 'danger' : kind === 'rollback' ? 'secondary' : undefined} onClick={() => dialog.current?.showModal()} data-testid={`${kind}-${version}`}>
        {TEXT[kind].button}
      </button>
      <dialog ref={dialog} aria-labelledby={`dialog-${kind}-${version}`}>
        <h2 id={`dialog-${kind}-${version}`}>{TEXT[kind].title(version)}</h2>
        <p>{TEXT[kind].body}</p>
        <p>
          <label>
            Reason (for the audit trail)
            <input value={reason} onChange={(event) => setReason(event.target.value)} maxLength={500} size={40} />
          </label>
        </p>
        <div className="form-row">
          <button type="button" onClick={confirm} disabled={pending} data-testid="confirm">
            {pending ? 'Working…' : `Yes, ${TEXT[kind].button.toLowerCase()}`}
          </button>
          <button type="button" className="secondary" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </div>
      </dialog>
      {outcome ? (
        <p className={outcome.ok ? 'note' : 'error'} role="status" data-testid="action-outcome">
          {outcome.message}
        </p>
      ) : null}
    </>
  );
}
