// Predictions over time by result (stacked bars), drawn on the server as plain SVG: the history page
// ships no charting script (Recharts was 436 kB of JavaScript to parse on every load of /history).
// Each bar has a <title> (hover text, read by screen readers); the figure has a text summary.
import type { Bucket } from '../lib/history';

const SERIES = [
  { key: 'normal', colour: '#1d6b33' },
  { key: 'abnormal', colour: '#b3261e' },
  { key: 'unsure', colour: '#c08a00' },
  { key: 'failed', colour: '#6b7785' },
  { key: 'pending', colour: '#4a6fa5' },
] as const;

const WIDTH = 800;
const HEIGHT = 240;
const PLOT = { left: 44, right: 12, top: 10, bottom: 28 };

/** A round step giving about five gridlines up to `max` (1, 2, 5 x 10^n). */
export function niceStep(max: number): number {
  if (max <= 5) return 1;
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= rough)!;
  return step;
}

export function HistoryChart({ buckets, unit }: { buckets: Bucket[]; unit: 'hour' | 'day' | 'week' }) {
  const format = (iso: string) =>
    unit === 'hour'
      ? new Date(iso).toLocaleString('en-GB', {
          day: '2-digit',
          month: 'short',
          hour: '2-digit',
          minute: '2-digit',
          timeZone: 'UTC',
        })
      : new Date(iso).toLocaleDateString('en-GB', { day: '2-digit', month: 'short', timeZone: 'UTC' });
  const totals = buckets.map((b) => SERIES.reduce((sum, { key }) => sum + b[key], 0));
  const step = niceStep(Math.max(1, ...totals));
  const top = Math.max(step, Math.ceil(Math.max(1, ...totals) / step) * step);
  const plotWidth = WIDTH - PLOT.left - PLOT.right;
  const plotHeight = HEIGHT - PLOT.top - PLOT.bottom;
  const slot = plotWidth / Math.max(1, buckets.length);
  const barWidth = Math.max(1, Math.min(48, slot * 0.8));
  const y = (value: number) => PLOT.top + plotHeight - (value / top) * plotHeight;
  const ticks = Array.from({ length: Math.floor(top / step) + 1 }, (_, i) => i * step);
  const labelEvery = Math.max(1, Math.ceil(buckets.length / 8));
  const present = SERIES.filter(({ key }) => buckets.some((b) => b[key] > 0));

  return (
    <figure className="chart" data-testid="history-chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width="100%"
        role="img"
        aria-label={`Predictions per ${unit} by result, ${buckets.length} bars`}
      >
        {ticks.map((tick) => (
          <g key={tick}>
            <line x1={PLOT.left} x2={WIDTH - PLOT.right} y1={y(tick)} y2={y(tick)} className="grid-line" />
            <text x={PLOT.left - 6} y={y(tick) + 4} textAnchor="end" className="tick">
              {tick}
            </text>
          </g>
        ))}
        {buckets.map((bucket, index) => {
          const x = PLOT.left + index * slot + (slot - barWidth) / 2;
          let stacked = 0;
          return (
            <g key={bucket.start} className="bar">
              <title>
                {`${format(bucket.start)}: ${
                  SERIES.filter(({ key }) => bucket[key] > 0)
                    .map(({ key }) => `${bucket[key]} ${key}`)
                    .join(', ') || 'none'
                }`}
              </title>
              {/* A full-height transparent target so that hovering anywhere in the slot shows the counts. */}
              <rect
                x={PLOT.left + index * slot}
                y={PLOT.top}
                width={slot}
                height={plotHeight}
                fill="transparent"
              />
              {SERIES.map(({ key, colour }) => {
                const value = bucket[key];
                if (value === 0) return null;
                const rect = (
                  <rect
                    key={key}
                    className={`segment segment-${key}`}
                    x={x}
                    y={y(stacked + value)}
                    width={barWidth}
                    height={y(stacked) - y(stacked + value)}
                    fill={colour}
                  />
                );
                stacked += value;
                return rect;
              })}
              {index % labelEvery === 0 ? (
                <text x={x + barWidth / 2} y={HEIGHT - 8} textAnchor="middle" className="tick">
                  {format(bucket.start)}
                </text>
              ) : null}
            </g>
          );
        })}
        <line x1={PLOT.left} x2={WIDTH - PLOT.right} y1={y(0)} y2={y(0)} className="axis-line" />
      </svg>
      <ul className="legend" aria-label="Legend">
        {present.map(({ key, colour }) => (
          <li key={key}>
            <span className="swatch" style={{ background: colour }} aria-hidden="true" /> {key}
          </li>
        ))}
      </ul>
    </figure>
  );
}
