'use client';
// Loss and validation figures per epoch (a training run's curve), drawn with Recharts.
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface CurvePoint {
  epoch: number;
  loss: number | null;
  validationAuc: number | null;
  validationMacc: number | null;
}

export function LearningCurve({ points }: { points: CurvePoint[] }) {
  return (
    <div style={{ width: '100%', height: 240 }} data-testid="learning-curve">
      <ResponsiveContainer>
        <LineChart data={points} margin={{ top: 8, right: 16, left: 0, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="epoch" label={{ value: 'epoch', position: 'insideBottomRight', offset: -2 }} />
          <YAxis domain={[0, 'auto']} />
          <Tooltip formatter={(value) => (typeof value === 'number' ? value.toFixed(3) : String(value))} />
          <Legend />
          <Line
            type="monotone"
            dataKey="loss"
            stroke="#0b5cad"
            dot={false}
            isAnimationActive={false}
            connectNulls
          />
          <Line
            type="monotone"
            dataKey="validationAuc"
            name="validation AUC"
            stroke="#1d6b33"
            dot={false}
            isAnimationActive={false}
            connectNulls
          />
          <Line
            type="monotone"
            dataKey="validationMacc"
            name="validation MAcc"
            stroke="#b3261e"
            dot={false}
            isAnimationActive={false}
            connectNulls
          />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
