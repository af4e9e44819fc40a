'use client';
// One Prometheus range query result as a line chart (Recharts).
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

const COLOURS = ['#0b5cad', '#b3261e', '#1d6b33', '#8a5a00', '#6a3d9a', '#10243e', '#c2185b', '#00796b'];

export interface ChartSeries {
  name: string;
  points: { t: number; v: number }[];
}

export function MetricChart({ series, unit, id }: { series: ChartSeries[]; unit: string; id: string }) {
  const rows = new Map<number, Record<string, number>>();
  for (const s of series)
    for (const p of s.points) rows.set(p.t, { ...(rows.get(p.t) ?? { t: p.t }), [s.name]: p.v });
  const data = [...rows.values()].sort((a, b) => a.t - b.t);
  const time = (t: number) => new Date(t).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  return (
    <div style={{ width: '100%', height: 220 }} data-testid={`chart-${id}`}>
      <ResponsiveContainer>
        <LineChart data={data} margin={{ top: 8, right: 16, left: 0, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            dataKey="t"
            type="number"
            domain={['dataMin', 'dataMax']}
            tickFormatter={time}
            scale="time"
          />
          <YAxis
            tickFormatter={(v: number) =>
              Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(2)).toString()
            }
            label={{ value: unit, angle: -90, position: 'insideLeft' }}
          />
          <Tooltip
            labelFormatter={(t) => new Date(Number(t)).toLocaleTimeString('en-GB')}
            formatter={(v) => (typeof v === 'number' ? v.toPrecision(3) : String(v))}
          />
          <Legend />
          {series.map((s, index) => (
            <Line
              key={s.name}
              dataKey={s.name}
              stroke={COLOURS[index % COLOURS.length]}
              dot={false}
              isAnimationActive={false}
              connectNulls
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
