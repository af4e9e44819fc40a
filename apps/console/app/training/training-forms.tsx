'use client';
// The training page's forms: labelled uploads (through the console's proxy), and the admin's
// start / cancel / calibrate actions.
import { useRouter } from 'next/navigation';
import { useActionState, useState, useTransition } from 'react';
import type { TrainingUploadOutcome } from '@heartbeat/api-client';
import { describeFailure, upload } from '../../lib/upload';
import { cancelTraining, startCalibration, startTraining, type TrainingActionState } from './actions';

function Outcome({ state }: { state: TrainingActionState }) {
  if (state.ok === null) return null;
  return (
    <p className={state.ok ? 'note' : 'error'} role="status" data-testid="training-outcome">
      {state.message}
    </p>
  );
}

export function UploadTrainingData() {
  const router = useRouter();
  const [files, setFiles] = useState<File[]>([]);
  const [label, setLabel] = useState('normal');
  const [site, setSite] = useState('');
  const [sent, setSent] = useState<number | null>(null);
  const [result, setResult] = useState<{ outcome?: TrainingUploadOutcome; error?: string } | null>(null);
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (files.length === 0) return setResult({ error: 'Choose one or more recordings first.' });
    const form = new FormData();
    // Fields before files: the gateway reads the multipart stream in order.
    form.append('label', label);
    if (site.trim()) form.append('site', site.trim());
    for (const file of files) form.append('files', file, file.name);
    setSent(0);
    setResult(null);
    const answer = await upload('/api/gateway/api/v1/training-data', form, setSent);
    setSent(null);
    if (answer.status === 200) {
      setResult({ outcome: answer.body as TrainingUploadOutcome });
      router.refresh();
    } else setResult({ error: describeFailure(answer.status, answer.body) });
  };
  return (
    <form onSubmit={submit} aria-label="Upload labelled recordings">
      <div className="form-row">
        <label>
          Recordings
          <input
            type="file"
            multiple
            accept=".wav,.flac,.mp3,.ogg,.opus,audio/*"
            onChange={(event) => setFiles(Array.from(event.target.files ?? []))}
            data-testid="training-files"
          />
        </label>
        <label>
          Label (all files)
          <select
            value={label}
            onChange={(event) => setLabel(event.target.value)}
            data-testid="training-label"
          >
            <option value="normal">normal</option>
            <option value="abnormal">abnormal</option>
          </select>
        </label>
        <label>
          Site tag (optional)
          <input
            value={site}
            onChange={(event) => setSite(event.target.value)}
            placeholder="hospital-a"
            pattern="[A-Za-z0-9][A-Za-z0-9-]{0,39}"
          />
        </label>
        <button type="submit" disabled={sent !== null}>
          {sent !== null ? `Uploading ${Math.round(sent * 100)} %` : 'Upload'}
        </button>
      </div>
      {result?.error ? (
        <p className="error" role="alert">
          {result.error}
        </p>
      ) : null}
      {result?.outcome ? (
        <div className="note" role="status" data-testid="upload-outcome">
          Added {result.outcome.accepted.length}, already present {result.outcome.duplicates.length}, refused{' '}
          {result.outcome.rejected.length}. Uploaded samples now: {result.outcome.samples.normal} normal,{' '}
          {result.outcome.samples.abnormal} abnormal.
          {result.outcome.rejected.length > 0 ? (
            <ul>
              {result.outcome.rejected.map((r) => (
                <li key={r.index}>
                  {r.fileName}: {r.message} ({r.code})
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </form>
  );
}

export function StartTraining({ disabled }: { disabled: boolean }) {
  const [state, action, pending] = useActionState(startTraining, { ok: null, message: '' });
  return (
    <form action={action} aria-label="Start a training run">
      <div className="form-row">
        <label>
          Epochs
          <input name="epochs" type="number" min={1} max={500} placeholder="default" />
        </label>
        <label>
          Windows per epoch
          <input name="windowsPerEpoch" type="number" min={1} placeholder="default" />
        </label>
        <label>
          Network width
          <input name="blockFilters" placeholder="default (e.g. 4, 8 for a quick test)" />
        </label>
        <label>
          Time limit (min)
          <input name="maxMinutes" type="number" min={1} step="any" placeholder="none" />
        </label>
        <button type="submit" disabled={pending || disabled} data-testid="start-training">
          {pending ? 'Starting…' : 'Start training'}
        </button>
      </div>
      {disabled ? (
        <p className="muted small">A run is active; wait for it or cancel it before starting another.</p>
      ) : null}
      <Outcome state={state} />
    </form>
  );
}

export function CancelRun({ runId }: { runId: string }) {
  const [state, setState] = useState<TrainingActionState>({ ok: null, message: '' });
  const [pending, startTransition] = useTransition();
  return (
    <>
      <button
        type="button"
        className="danger"
        disabled={pending}
        onClick={() => {
          if (window.confirm('Cancel this run? Training stops at its next batch; nothing is registered.'))
            startTransition(async () => setState(await cancelTraining(runId)));
        }}
      >
        Cancel run
      </button>
      <Outcome state={state} />
    </>
  );
}

export function SiteCalibration() {
  const [state, action, pending] = useActionState(startCalibration, { ok: null, message: '' });
  return (
    <form action={action} aria-label="Calibrate for a site">
      <div className="form-row">
        <label>
          Site tag
          <input name="site" required placeholder="hospital-a" />
        </label>
        <label>
          Sensitivity margin (below the model&apos;s validation sensitivity)
          <input name="sensitivityMargin" type="number" min={0} max={0.5} step={0.01} placeholder="0.05" />
        </label>
        <button type="submit" disabled={pending}>
          {pending ? 'Starting…' : 'Calibrate'}
        </button>
      </div>
      <Outcome state={state} />
    </form>
  );
}
