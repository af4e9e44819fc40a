// Butterworth filters as cascaded biquads (bilinear transform with pre-warping), run forward and
// backward so the band-pass has zero phase: heart-sound timing (S1-S2 intervals) is not shifted.

export type Biquad = { readonly b0: number; readonly b1: number; readonly b2: number; readonly a1: number; readonly a2: number };

export function butterworthLowPass(order: number, cutoffHz: number, sampleRate: number): Biquad[] {
  return butterworthSections(order, cutoffHz, sampleRate, 'low');
}

export function butterworthHighPass(order: number, cutoffHz: number, sampleRate: number): Biquad[] {
  return butterworthSections(order, cutoffHz, sampleRate, 'high');
}

function butterworthSections(order: number, cutoffHz: number, sampleRate: number, kind: 'low' | 'high'): Biquad[] {
  if (order < 2 || order % 2 !== 0) throw new RangeError(`Butterworth order must be even and >= 2, got ${order}`);
  if (!(cutoffHz > 0 && cutoffHz < sampleRate / 2)) throw new RangeError(`cutoff ${cutoffHz} Hz must lie between 0 and Nyquist (${sampleRate / 2} Hz)`);
  const omega = (2 * Math.PI * cutoffHz) / sampleRate;
  const cos = Math.cos(omega);
  const sin = Math.sin(omega);
  const sections: Biquad[] = [];
  for (let k = 0; k < order / 2; k++) {
    // Each conjugate pole pair of the analogue prototype is a second-order section with this Q.
    const q = 1 / (2 * Math.cos((Math.PI * (2 * k + 1)) / (2 * order)));
    const alpha = sin / (2 * q);
    const a0 = 1 + alpha;
    const edge = kind === 'low' ? (1 - cos) / 2 : (1 + cos) / 2;
    const middle = kind === 'low' ? 1 - cos : -(1 + cos);
    sections.push({ b0: edge / a0, b1: middle / a0, b2: edge / a0, a1: (-2 * cos) / a0, a2: (1 - alpha) / a0 });
  }
  return sections;
}

/**
 * Zero-phase filtering like scipy's sosfiltfilt: the signal is extended by odd reflection at both ends
 * and each section starts in its steady state, so the edges carry no start-up transient.
 */
export function filtfilt(sections: readonly Biquad[], samples: Float32Array | Float64Array, padLength: number, offset = 0): Float64Array {
  const n = samples.length;
  if (n === 0) return new Float64Array(0);
  const pad = Math.max(0, Math.min(padLength, n - 1));
  const extended = new Float64Array(n + 2 * pad);
  const first = samples[0] - offset;
  const last = samples[n - 1] - offset;
  for (let i = 0; i < pad; i++) extended[i] = 2 * first - (samples[pad - i] - offset);
  for (let i = 0; i < n; i++) extended[pad + i] = samples[i] - offset;
  for (let i = 0; i < pad; i++) extended[pad + n + i] = 2 * last - (samples[n - 2 - i] - offset);
  for (const section of sections) runSection(section, extended, 1);
  for (const section of sections) runSection(section, extended, -1);
  return extended.subarray(pad, pad + n);
}

/** One transposed direct form II section in place, forward (direction 1) or backward (-1). */
function runSection({ b0, b1, b2, a1, a2 }: Biquad, signal: Float64Array, direction: 1 | -1): void {
  const length = signal.length;
  // Steady state for a constant input equal to the first sample, so the section starts settled.
  const level = signal[direction === 1 ? 0 : length - 1];
  const gain = (b0 + b1 + b2) / (1 + a1 + a2);
  let z1 = (gain - b0) * level;
  let z2 = (b2 - a2 * gain) * level;
  // Two loops rather than a stride variable: V8 keeps the plain loops tight.
  if (direction === 1) {
    for (let i = 0; i < length; i++) {
      const x = signal[i];
      const y = b0 * x + z1;
      z1 = b1 * x - a1 * y + z2;
      z2 = b2 * x - a2 * y;
      signal[i] = y;
    }
  } else {
    for (let i = length - 1; i >= 0; i--) {
      const x = signal[i];
      const y = b0 * x + z1;
      z1 = b1 * x - a1 * y + z2;
      z2 = b2 * x - a2 * y;
      signal[i] = y;
    }
  }
}
