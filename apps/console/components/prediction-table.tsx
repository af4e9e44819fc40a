// Predictions as a table whose rows open the result card (server-rendered; links work without scripts).
import Link from 'next/link';
import type { Prediction } from '@heartbeat/api-client';
import { percent } from '../lib/presentation';

export function PredictionTable({ items, caption }: { items: Prediction[]; caption: string }) {
  return (
    <div className="table-wrap">
      <table>
        <caption
          className="muted small"
          style={{ textAlign: 'left', captionSide: 'bottom', paddingTop: '.4rem' }}
        >
          {caption}
        </caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Recording</th>
            <th scope="col">Result</th>
            <th scope="col">P(abnormal)</th>
            <th scope="col">Quality</th>
            <th scope="col">Model</th>
          </tr>
        </thead>
        <tbody>
          {items.map((p) => (
            <tr key={p.id} className="clickable">
              <td>{new Date(p.createdAt).toLocaleString('en-GB')}</td>
              <td>
                {/* No prefetch: each visible row would ask the console for a render of its result
                    page as soon as the table shows (25 on /history), for a row seldom opened. */}
                <Link href={`/predictions/${p.id}`} prefetch={false}>
                  {p.fileName ?? p.recordingId.slice(0, 8)}
                </Link>
              </td>
              <td>
                {p.status === 'succeeded' ? (
                  <span className={`badge label-${p.label}`}>{p.label}</span>
                ) : (
                  <span className={`badge status-${p.status}`} title={p.error?.message}>
                    {p.status === 'failed' ? `failed: ${p.error?.code ?? 'error'}` : p.status}
                  </span>
                )}
              </td>
              <td>{percent(p.probability)}</td>
              <td>{percent(p.quality, 0)}</td>
              <td>{p.modelVersion ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
