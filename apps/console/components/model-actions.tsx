'use client';
// Promote / roll back / retire with a confirmation dialog that asks for the reason kept in the audit
// trail. One component per version, so the outcome stays on screen when the buttons change with
// the version's new status.
import { useRef, useState, useTransition } from 'react';
import { promoteVersion, retireVersion, rollBack, type ActionOutcome } from '../app/models/actions';

type Kind = 'promote' | 'rollback' | 'retire';

const TEXT: Record<Kind, { button: string; title: (v: string) => string; body: string }> = {
  promote: {
    button: 'Promote',
    title: (v) => `Promote ${v}?`,
    body: 'Every inference worker switches to this version. This overrides the promotion policy and is recorded in the audit trail.',
  },
  rollback: {
    button: 'Roll back',
    title: () => 'Roll back to the previous version?',
    body: 'The version that served before the current one serves again. Recorded in the audit trail.',
  },
  retire: {
    button: 'Retire',
    title: (v) => `Retire ${v}?`,
    body: 'The version can no longer be promoted. Recorded in the audit trail.',
  },
};

export function ModelActions({ version, status }: { version: string; status: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [kind, setKind] = useState<Kind>('promote');
  const [reason, setReason] = useState('');
  const [outcome, setOutcome] = useState<ActionOutcome | null>(null);
  const [pending, startTransition] = useTransition();
  // A retired version may serve again (a rollback does that); the gateway says so if it refuses.
  const kinds: Kind[] =
    status === 'promoted' ? ['rollback'] : status === 'retired' ? ['promote'] : ['promote', 'retire'];
  const open = (next: Kind) => {
    setKind(next);
    setReason('');
    dialog.current?.showModal();
  };
  const confirm = () =>
    startTransition(async () => {
      const result =
        kind === 'promote'
          ? await promoteVersion(version, reason)
          : kind === 'rollback'
            ? await rollBack(reason)
            : await retireVersion(version, reason);
      dialog.current?.close();
      setOutcome(result);
    });
  return (
    <>
      <div className="form-row">
        {kinds.map((k) => (
          <button
            key={k}
            type="button"
            className={k === 'retire' ? 'danger' : k === 'rollback' ? 'secondary' : undefined}
            onClick={() => open(k)}
            data-testid={`${k}-${version}`}
          >
            {TEXT[k].button}
          </button>
        ))}
      </div>
      <dialog ref={dialog} aria-labelledby={`dialog-${version}`}>
        <h2 id={`dialog-${version}`}>{TEXT[kind].title(version)}</h2>
        <p>{TEXT[kind].body}</p>
        <p>
          <label>
            Reason (for the audit trail)
            <input
              value={reason}
              onChange={(event) => setReason(event.target.value)}
              maxLength={500}
              size={40}
            />
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
