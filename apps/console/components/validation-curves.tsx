'use client';
// A model version's ROC curve and calibration plot (reliability diagram) on its validation split,
// drawn with Recharts from the gateway's validation-curves view.
import {
  CartesianGrid,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { ValidationCurves } from '@heartbeat/api-client';

const axis = {
  type: 'number' as const,
  domain: [0, 1] as [number, number],
  ticks: [0, 0.2, 0.4, 0.6, 0.8, 1],
};
const fixed = (value: unknown) => (typeof value === 'number' ? value.toFixed(3) : String(value));

export function RocChart({ roc, auc }: Pick<ValidationCurves, 'roc' | 'auc'>) {
  return (
    <figure className="chart" data-testid="roc-chart">
      <div style={{ width: '100%', height: 280 }}>
        <ResponsiveContainer>
          <LineChart data={roc} margin={{ top: 8, right: 16, left: 0, bottom: 16 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis
              dataKey="falsePositiveRate"
              {...axis}
              label={{ value: 'false positive rate (1 − specificity)', position: 'insideBottom', offset: -8 }}
            />
            <YAxis
              {...axis}
              label={{ value: 'sensitivity', angle: -90, position: 'insideLeft', offset: 12 }}
            />
            <Tooltip formatter={fixed} labelFormatter={(value) => `false positive rate ${fixed(value)}`} />
            <ReferenceLine
              segment={[
                { x: 0, y: 0 },
                { x: 1, y: 1 },
              ]}
              stroke="#8a94a0"
              strokeDasharray="4 4"
            />
            <Line
              dataKey="truePositiveRate"
              name="sensitivity"
              stroke="#b3261e"
              dot={false}
              type="linear"
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="muted small">
        ROC curve, AUC {auc === null ? '—' : auc.toFixed(3)}; the dashed diagonal is chance.
      </figcaption>
    </figure>
  );
}

export function CalibrationChart({ reliability, ece }: Pick<ValidationCurves, 'reliability' | 'ece'>) {
  const points = reliability.filter((bin) => bin.count > 0);
  return (
    <figure className="chart" data-testid="calibration-chart">
      <div style={{ width: '100%', height: 280 }}>
        <ResponsiveContainer>
          <LineChart data={points} margin={{ top: 8, right: 16, left: 0, bottom: 16 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis
              dataKey="meanPredicted"
              {...axis}
              label={{ value: 'predicted probability of abnormal', position: 'insideBottom', offset: -8 }}
            />
            <YAxis
              {...axis}
              label={{ value: 'observed rate', angle: -90, position: 'insideLeft', offset: 12 }}
            />
            <Tooltip
              formatter={(value, name, item) =>
                [`${fixed(value)} (${(item.payload as { count: number }).count} recordings)`, name] as [
                  string,
                  string,
                ]
              }
              labelFormatter={(value) => `predicted ${fixed(value)}`}
            />
            <ReferenceLine
              segment={[
                { x: 0, y: 0 },
                { x: 1, y: 1 },
              ]}
              stroke="#8a94a0"
              strokeDasharray="4 4"
            />
            <Line
              dataKey="observedRate"
              name="observed rate of abnormal"
              stroke="#1d4f91"
              type="linear"
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="muted small">
        Calibration: each point is one tenth of the probability range (empty tenths left out); on the dashed
        diagonal the probabilities mean what they say. ECE {ece === null ? '—' : ece.toFixed(3)}.
      </figcaption>
    </figure>
  );
}
