'use client';
// One recording's result: the label, a probability gauge, the facts behind it, and the recording
// itself with the per-window scores (explainability).
import { useState } from 'react';
import type { Prediction } from '@heartbeat/api-client';
import { percent, strongestWindow } from '../lib/presentation';
import { RecordingView } from './recording-view';

const LABEL_MEANING: Record<string, string> = {
  normal: 'No sign of an abnormal heart sound was found.',
  abnormal: 'The recording is flagged for a cardiologist to listen to.',
  unsure: 'The signal is too poor to judge; record again in a quiet room, with firm contact.',
};

export function ProbabilityGauge({
  probability,
  threshold,
}: {
  probability: number;
  threshold: number | null;
}) {
  const angle = (value: number) => Math.PI * (1 - value);
  const point = (value: number, radius: number) => [
    60 + radius * Math.cos(angle(value)),
    60 - radius * Math.sin(angle(value)),
  ];
  const [nx, ny] = point(probability, 40);
  const [tx0, ty0] = point(threshold ?? 0.5, 36);
  const [tx1, ty1] = point(threshold ?? 0.5, 56);
  return (
    <svg
      viewBox="0 0 120 84"
      width="180"
      role="img"
      aria-label={`Probability of abnormal: ${percent(probability)}`}
    >
      <path d="M 10 60 A 50 50 0 0 1 110 60" fill="none" stroke="#d5dae0" strokeWidth="10" />
      <path
        d={`M 10 60 A 50 50 0 0 1 ${point(probability, 50)[0]} ${point(probability, 50)[1]}`}
        fill="none"
        stroke={probability >= (threshold ?? 0.5) ? '#b3261e' : '#1d6b33'}
        strokeWidth="10"
      />
      <line x1={tx0} y1={ty0} x2={tx1} y2={ty1} stroke="#1b1f24" strokeWidth="2" />
      <line x1="60" y1="60" x2={nx} y2={ny} stroke="#1b1f24" strokeWidth="3" />
      <text x="60" y="80" textAnchor="middle" fontSize="14" fontWeight="700" fill="#1b1f24">
        {percent(probability, 0)}
      </text>
    </svg>
  );
}

export function ResultCard({ prediction }: { prediction: Prediction }) {
  // Known once the recording is decoded; until then the last window's end bounds it.
  const [duration, setDuration] = useState<number | null>(null);
  const strongest = strongestWindow(prediction.windows);
  const lastWindow = prediction.windows?.at(-1);
  return (
    <section className="panel" aria-labelledby={`result-${prediction.id}`} data-testid="result-card">
      <h2 id={`result-${prediction.id}`}>{prediction.fileName ?? 'Recording'}</h2>
      {prediction.status === 'failed' ? (
        <p className="error" data-testid="result-error">
          Could not be screened: {prediction.error?.message ?? 'unknown error'} (
          {prediction.error?.code ?? 'ERROR'})
        </p>
      ) : prediction.status === 'pending' ? (
        <p className="muted" role="status">
          Waiting for an inference worker… (queued {new Date(prediction.createdAt).toLocaleTimeString()})
        </p>
      ) : (
        <div className="result-head">
          <div>
            <div className={`label-big label-${prediction.label}`} data-testid="result-label">
              {prediction.label}
            </div>
            <p className="small" style={{ maxWidth: 320 }}>
              {LABEL_MEANING[prediction.label ?? ''] ?? ''}
            </p>
          </div>
          {prediction.probability !== null ? (
            <ProbabilityGauge probability={prediction.probability} threshold={prediction.threshold} />
          ) : null}
          <dl className="facts">
            <dt>P(abnormal)</dt>
            <dd>{percent(prediction.probability)}</dd>
            <dt>Threshold</dt>
            <dd>{prediction.threshold !== null ? prediction.threshold.toFixed(3) : '—'}</dd>
            <dt>Signal quality</dt>
            <dd>{percent(prediction.quality, 0)}</dd>
            <dt>Duration</dt>
            <dd>
              {duration
                ? `${duration.toFixed(1)} s`
                : lastWindow
                  ? `≥ ${lastWindow.endSeconds.toFixed(1)} s`
                  : '—'}
            </dd>
            <dt>Model version</dt>
            <dd>
              {prediction.modelVersion ?? '—'}
              {prediction.site ? ` (site ${prediction.site})` : ''}
            </dd>
            <dt>Screened in</dt>
            <dd>{prediction.latencyMs !== null ? `${prediction.latencyMs} ms` : '—'}</dd>
            <dt>Most abnormal window</dt>
            <dd>
              {strongest
                ? `${strongest.startSeconds.toFixed(1)}-${strongest.endSeconds.toFixed(1)} s (${percent(strongest.probability, 0)})`
                : '—'}
            </dd>
          </dl>
        </div>
      )}
      {prediction.status === 'succeeded' ? (
        <>
          <RecordingView
            recordingId={prediction.recordingId}
            windows={prediction.windows}
            threshold={prediction.threshold}
            onDuration={setDuration}
          />
          <p className="small">
            <a href={`/api/recordings/${prediction.recordingId}`} download={prediction.fileName ?? undefined}>
              Download the recording
            </a>
          </p>
        </>
      ) : null}
    </section>
  );
}
