'use client';
// Drop one recording for a result card, or many for a batch with live progress, a sortable and
// filterable table, per-file errors in words, and JSON/CSV export (served by the gateway).
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { BatchCreated, BatchResults, BatchStatus, Prediction } from '@heartbeat/api-client';
import { ResultCard } from '../../components/result-card';
import {
  filterRows,
  percent,
  rowFromPrediction,
  sortRows,
  type BatchRow,
  type SortKey,
} from '../../lib/presentation';
import { describeFailure, getJson, upload } from '../../lib/upload';

const ACCEPT = '.wav,.flac,.mp3,.ogg,.opus,.oga,audio/*';
const FINISHED = new Set(['completed', 'failed', 'cancelled']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Single = {
  kind: 'single';
  file: File;
  sent: number;
  prediction: Prediction | null;
  error: string | null;
};
type Batch = {
  kind: 'batch';
  files: File[];
  sent: number;
  created: BatchCreated | null;
  status: BatchStatus | null;
  items: Prediction[];
  error: string | null;
};

export function ScreenClient() {
  const [job, setJob] = useState<Single | Batch | null>(null);
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const run = useRef(0);

  const screenOne = useCallback(async (file: File, id: number) => {
    const form = new FormData();
    form.append('file', file, file.name);
    const answer = await upload(
      '/api/gateway/predict',
      form,
      (sent) => run.current === id && setJob((j) => (j?.kind === 'single' ? { ...j, sent } : j)),
    );
    if (run.current !== id) return;
    const body = answer.body as (Prediction & { predictionId?: string }) | null;
    if (answer.status === 200 && body)
      return setJob((j) => (j?.kind === 'single' ? { ...j, sent: 1, prediction: body } : j));
    if (answer.status !== 202 || !body?.predictionId)
      return setJob((j) =>
        j?.kind === 'single' ? { ...j, error: describeFailure(answer.status, answer.body) } : j,
      );
    for (;;) {
      await sleep(1000);
      if (run.current !== id) return;
      const polled = await getJson<Prediction>(`/api/gateway/api/v1/predictions/${body.predictionId}`);
      if (!polled.ok) return setJob((j) => (j?.kind === 'single' ? { ...j, error: polled.message } : j));
      setJob((j) => (j?.kind === 'single' ? { ...j, prediction: polled.value } : j));
      if (polled.value.status !== 'pending') return;
    }
  }, []);

  const screenMany = useCallback(async (files: File[], id: number) => {
    const form = new FormData();
    for (const file of files) form.append('files', file, file.name);
    const answer = await upload(
      '/api/gateway/api/v1/batches',
      form,
      (sent) => run.current === id && setJob((j) => (j?.kind === 'batch' ? { ...j, sent } : j)),
    );
    if (run.current !== id) return;
    if (answer.status !== 202)
      return setJob((j) =>
        j?.kind === 'batch' ? { ...j, error: describeFailure(answer.status, answer.body) } : j,
      );
    const created = answer.body as BatchCreated;
    setJob((j) => (j?.kind === 'batch' ? { ...j, sent: 1, created, status: created } : j));
    for (;;) {
      const results = await getJson<BatchResults>(
        `/api/gateway/api/v1/batches/${created.batchId}/results?limit=1000`,
      );
      if (run.current !== id) return;
      if (!results.ok) return setJob((j) => (j?.kind === 'batch' ? { ...j, error: results.message } : j));
      setJob((j) =>
        j?.kind === 'batch' ? { ...j, status: results.value.batch, items: results.value.items } : j,
      );
      if (FINISHED.has(results.value.batch.status)) return;
      await sleep(1000);
    }
  }, []);

  const start = useCallback(
    (list: FileList | File[] | null) => {
      const files = Array.from(list ?? []);
      if (files.length === 0) return;
      const id = ++run.current;
      if (files.length === 1) {
        setJob({ kind: 'single', file: files[0], sent: 0, prediction: null, error: null });
        void screenOne(files[0], id);
      } else {
        setJob({ kind: 'batch', files, sent: 0, created: null, status: null, items: [], error: null });
        void screenMany(files, id);
      }
    },
    [screenOne, screenMany],
  );

  useEffect(() => () => void run.current++, []);

  return (
    <>
      <div
        className={`dropzone${dragging ? ' active' : ''}`}
        role="button"
        tabIndex={0}
        aria-describedby="drop-help"
        data-testid="dropzone"
        onClick={() => input.current?.click()}
        onKeyDown={(event) => {
          if (event.key === 'Enter' || event.key === ' ') {
            event.preventDefault();
            input.current?.click();
          }
        }}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(event) => {
          event.preventDefault();
          setDragging(false);
          start(event.dataTransfer.files);
        }}
      >
        <strong>Drop heart sound recordings here</strong> or press to choose files
        <p id="drop-help" className="muted small">
          WAV, FLAC, MP3 or OGG/Opus, at least 2 s. One file gives a result card; several become a batch.
        </p>
        <input
          ref={input}
          type="file"
          multiple
          accept={ACCEPT}
          hidden
          data-testid="file-input"
          onChange={(event) => {
            start(event.target.files);
            event.target.value = '';
          }}
        />
      </div>
      {job?.kind === 'single' ? <SingleView job={job} /> : null}
      {job?.kind === 'batch' ? <BatchView job={job} /> : null}
      {!job ? (
        <p className="muted">Nothing screened in this session yet. Past results are in the History.</p>
      ) : null}
    </>
  );
}

function SingleView({ job }: { job: Single }) {
  if (job.error)
    return (
      <p className="error" role="alert" data-testid="screen-error">
        {job.file.name}: {job.error}
      </p>
    );
  if (!job.prediction)
    return (
      <div className="panel" role="status">
        <p>{job.sent < 1 ? `Uploading ${job.file.name}…` : `Screening ${job.file.name}…`}</p>
        <progress max={1} value={job.sent < 1 ? job.sent : undefined} aria-label="Upload progress" />
      </div>
    );
  return <ResultCard prediction={job.prediction} />;
}

function BatchView({ job }: { job: Batch }) {
  const [text, setText] = useState('');
  const [outcome, setOutcome] = useState('all');
  const [sort, setSort] = useState<{ key: SortKey; direction: 'asc' | 'desc' }>({
    key: 'fileName',
    direction: 'asc',
  });
  const rows = useMemo(() => {
    const rejected: BatchRow[] = (job.created?.files ?? [])
      .filter((file) => file.status === 'rejected')
      .map((file) => ({
        fileName: file.fileName,
        status: 'rejected',
        label: null,
        probability: null,
        quality: null,
        predictionId: null,
        error: `${file.message ?? 'refused'} (${file.code ?? 'REJECTED'})`,
      }));
    return [...job.items.map(rowFromPrediction), ...rejected];
  }, [job.items, job.created]);
  const shown = useMemo(
    () => sortRows(filterRows(rows, text, outcome), sort.key, sort.direction),
    [rows, text, outcome, sort],
  );

  if (job.error)
    return (
      <p className="error" role="alert" data-testid="screen-error">
        The batch could not be {job.created ? 'followed' : 'sent'}: {job.error}
      </p>
    );
  const status = job.status;
  const progress = status ? status.progress : 0;
  const header = (key: SortKey, title: string) => (
    <th
      scope="col"
      aria-sort={sort.key === key ? (sort.direction === 'asc' ? 'ascending' : 'descending') : 'none'}
    >
      <button
        type="button"
        onClick={() =>
          setSort((s) => ({ key, direction: s.key === key && s.direction === 'asc' ? 'desc' : 'asc' }))
        }
      >
        {title} {sort.key === key ? (sort.direction === 'asc' ? '▲' : '▼') : ''}
      </button>
    </th>
  );
  return (
    <section className="panel" aria-labelledby="batch-title">
      <h2 id="batch-title">Batch of {job.files.length} recordings</h2>
      {!job.created ? (
        <div role="status">
          <p>Uploading… {percent(job.sent, 0)}</p>
          <progress max={1} value={job.sent} aria-label="Upload progress" />
        </div>
      ) : (
        <div role="status" aria-live="polite">
          <p data-testid="batch-progress">
            {status?.status === 'completed'
              ? 'Finished'
              : status?.status === 'failed'
                ? 'The batch failed'
                : 'Screening'}
            : {status?.done ?? 0} of {status?.total ?? 0} ({percent(progress, 0)}) · {status?.succeeded ?? 0}{' '}
            screened, {status?.failed ?? 0} failed
            {job.created.rejected > 0 ? `, ${job.created.rejected} refused at upload` : ''}
          </p>
          <progress max={1} value={progress} aria-label="Batch progress" />
        </div>
      )}
      {job.created ? (
        <>
          <div className="form-row" style={{ marginTop: '1rem' }}>
            <label>
              File name contains
              <input value={text} onChange={(event) => setText(event.target.value)} />
            </label>
            <label>
              Show
              <select value={outcome} onChange={(event) => setOutcome(event.target.value)}>
                <option value="all">all</option>
                <option value="abnormal">abnormal</option>
                <option value="normal">normal</option>
                <option value="unsure">unsure</option>
                <option value="errors">errors</option>
              </select>
            </label>
            <a
              className="button secondary"
              href={`/api/gateway/api/v1/batches/${job.created.batchId}/results?format=csv`}
              download={`batch-${job.created.batchId}.csv`}
              data-testid="export-csv"
            >
              Export CSV
            </a>
            <a
              className="button secondary"
              href={`/api/gateway/api/v1/batches/${job.created.batchId}/results?limit=1000`}
              download={`batch-${job.created.batchId}.json`}
            >
              Export JSON
            </a>
          </div>
          <div className="table-wrap">
            <table data-testid="batch-table">
              <thead>
                <tr>
                  {header('fileName', 'File')}
                  {header('status', 'Status')}
                  {header('label', 'Result')}
                  {header('probability', 'P(abnormal)')}
                  {header('quality', 'Quality')}
                </tr>
              </thead>
              <tbody>
                {shown.map((row, index) => (
                  <tr key={row.predictionId ?? `${row.fileName}-${index}`}>
                    <td>
                      {row.predictionId ? (
                        <a href={`/predictions/${row.predictionId}`}>{row.fileName}</a>
                      ) : (
                        row.fileName
                      )}
                    </td>
                    <td>
                      <span className={`badge status-${row.status}`}>{row.status}</span>
                    </td>
                    <td>
                      {row.label ? (
                        <span className={`badge label-${row.label}`}>{row.label}</span>
                      ) : row.error ? (
                        <span className="down small">{row.error}</span>
                      ) : (
                        '…'
                      )}
                    </td>
                    <td>{percent(row.probability)}</td>
                    <td>{percent(row.quality, 0)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {shown.length === 0 ? (
              <p className="muted">
                {rows.length === 0
                  ? 'Results appear here as the workers finish each file.'
                  : 'No file matches the filter.'}
              </p>
            ) : null}
          </div>
        </>
      ) : null}
    </section>
  );
}
