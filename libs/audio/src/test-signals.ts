// Generated signals for DSP known-answer tests.

export function sine(
  frequencyHz: number,
  sampleRate: number,
  durationSec: number,
  amplitude = 1,
): Float32Array {
  const length = Math.round(sampleRate * durationSec);
  return Float32Array.from(
    { length },
    (_, n) => amplitude * Math.sin((2 * Math.PI * frequencyHz * n) / sampleRate),
  );
}

/** Amplitude of the frequency component, by correlation with sine and cosine over [from, to). */
export function toneAmplitude(
  samples: Float32Array,
  frequencyHz: number,
  sampleRate: number,
  from = 0,
  to = samples.length,
): number {
  let inPhase = 0;
  let quadrature = 0;
  for (let n = from; n < to; n++) {
    const phase = (2 * Math.PI * frequencyHz * n) / sampleRate;
    inPhase += samples[n] * Math.cos(phase);
    quadrature += samples[n] * Math.sin(phase);
  }
  return (2 * Math.hypot(inPhase, quadrature)) / (to - from);
}

export function peakAbs(samples: ArrayLike<number>, from = 0, to = samples.length): number {
  let peak = 0;
  for (let i = from; i < to; i++) peak = Math.max(peak, Math.abs(samples[i]));
  return peak;
}
