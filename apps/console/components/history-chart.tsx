'use client';
// Predictions over time by label (stacked bars), drawn with Recharts.
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { Bucket } from '../lib/history';

export function HistoryChart({ buckets, unit }: { buckets: Bucket[]; unit: 'hour' | 'day' | 'week' }) {
  const format = (iso: string) =>
    unit === 'hour'
      ? new Date(iso).toLocaleString('en-GB', {
          day: '2-digit',
          month: 'short',
          hour: '2-digit',
          minute: '2-digit',
        })
      : new Date(iso).toLocaleDateString('en-GB', { day: '2-digit', month: 'short' });
  return (
    <div style={{ width: '100%', height: 260 }} data-testid="history-chart">
      <ResponsiveContainer>
        <BarChart data={buckets} margin={{ top: 8, right: 16, left: 0, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="start" tickFormatter={format} />
          <YAxis allowDecimals={false} />
          <Tooltip labelFormatter={(label) => format(String(label))} />
          <Legend />
          <Bar dataKey="normal" stackId="a" fill="#1d6b33" isAnimationActive={false} />
          <Bar dataKey="abnormal" stackId="a" fill="#b3261e" isAnimationActive={false} />
          <Bar dataKey="unsure" stackId="a" fill="#c08a00" isAnimationActive={false} />
          <Bar dataKey="failed" stackId="a" fill="#6b7785" isAnimationActive={false} />
          <Bar dataKey="pending" stackId="a" fill="#4a6fa5" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
