// Pixel maths for the recording view: waveform envelopes, a perceptual colour map, and where a
// window's score sits on the time axis. Pure, so the browser code stays small and tested.

/** Min and max of each of `columns` equal slices of the signal (the drawn waveform). */
export function waveformEnvelope(
  samples: Float32Array,
  columns: number,
): { min: Float32Array; max: Float32Array } {
  const min = new Float32Array(columns);
  const max = new Float32Array(columns);
  const perColumn = samples.length / columns;
  for (let c = 0; c < columns; c++) {
    const start = Math.floor(c * perColumn);
    const end = Math.max(start + 1, Math.floor((c + 1) * perColumn));
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = start; i < end && i < samples.length; i++) {
      const value = samples[i];
      if (value < lo) lo = value;
      if (value > hi) hi = value;
    }
    min[c] = lo === Infinity ? 0 : lo;
    max[c] = hi === -Infinity ? 0 : hi;
  }
  return { min, max };
}

// Stops of matplotlib's viridis (dark blue to yellow): readable in grey and by colour-blind readers.
const VIRIDIS: [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** Viridis colour of t in [0, 1]. */
export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [VIRIDIS[i], VIRIDIS[i + 1]];
  return [
    Math.round(a[0] + (b[0] - a[0]) * f),
    Math.round(a[1] + (b[1] - a[1]) * f),
    Math.round(a[2] + (b[2] - a[2]) * f),
  ];
}

/** Lower and upper percentiles of the values (the spectrogram's colour range, robust to outliers). */
export function robustRange(
  values: Float32Array,
  lowQuantile = 0.02,
  highQuantile = 0.995,
): [number, number] {
  if (values.length === 0) return [0, 1];
  const sorted = Float32Array.from(values).sort();
  const pick = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
  const low = pick(lowQuantile);
  const high = pick(highQuantile);
  return high > low ? [low, high] : [low, low + 1];
}

/** x-pixel span of [start, end] seconds on an axis `width` pixels wide showing `duration` seconds. */
export function timeSpan(
  startSeconds: number,
  endSeconds: number,
  duration: number,
  width: number,
): [number, number] {
  if (duration <= 0) return [0, 0];
  const x0 = Math.max(0, Math.min(width, (startSeconds / duration) * width));
  const x1 = Math.max(0, Math.min(width, (endSeconds / duration) * width));
  return [x0, x1];
}

/** Colour for a window's probability of abnormal, relative to the decision threshold. */
export function scoreColour(probability: number, threshold: number | null): string {
  const line = threshold ?? 0.5;
  if (probability >= line) return 'rgba(179, 38, 30, 0.30)';
  return 'rgba(29, 107, 51, 0.16)';
}
