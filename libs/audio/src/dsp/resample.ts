// Band-limited resampling with a polyphase Kaiser-windowed sinc, so content above the new Nyquist
// frequency is removed instead of folding back into the heart-sound band.

/** Passband edge as a fraction of the lower Nyquist frequency; the Kaiser transition ends near Nyquist. */
const CUTOFF_FRACTION = 0.9;
/** Sinc zero crossings kept on each side of the centre tap (at the cutoff frequency). */
const ZERO_CROSSINGS = 32;
/** Kaiser beta 9: side lobes around -90 dB, well past the -40 dB aliasing budget. */
const KAISER_BETA = 9;
/** Rates whose reduced ratio needs more phases than this use the nearest of this many phases. */
const MAX_PHASES = 1024;

type PolyphaseKernel = {
  readonly up: number;
  readonly down: number;
  readonly phases: number;
  readonly tapsPerPhase: number;
  /** First input offset (relative to floor(t)) covered by tap 0. */
  readonly firstOffset: number;
  readonly taps: Float32Array;
};

const kernelCache = new Map<string, PolyphaseKernel>();

export function resample(samples: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (!(fromRate > 0 && toRate > 0))
    throw new RangeError(`sample rates must be positive, got ${fromRate} -> ${toRate}`);
  if (fromRate === toRate) return samples.slice();
  const kernel = polyphaseKernel(fromRate, toRate);
  const outputLength = Math.floor((samples.length * toRate) / fromRate);
  const output = new Float32Array(outputLength);
  const { up, down, phases, tapsPerPhase, firstOffset, taps } = kernel;
  const lastInput = samples.length - 1;
  for (let n = 0; n < outputLength; n++) {
    // Exact input position n * down / up kept as integer numerator to avoid drift on long files.
    const numerator = n * down;
    const base = Math.floor(numerator / up);
    let phase = phases === up ? numerator - base * up : Math.round(((numerator - base * up) / up) * phases);
    let start = base + firstOffset;
    if (phase === phases) {
      phase = 0;
      start += 1;
    }
    const tapOffset = phase * tapsPerPhase;
    let sum = 0;
    if (start >= 0 && start + tapsPerPhase - 1 <= lastInput) {
      for (let k = 0; k < tapsPerPhase; k++) sum += taps[tapOffset + k] * samples[start + k];
    } else {
      for (let k = 0; k < tapsPerPhase; k++) {
        const index = start + k;
        if (index >= 0 && index <= lastInput) sum += taps[tapOffset + k] * samples[index];
      }
    }
    output[n] = sum;
  }
  return output;
}

function polyphaseKernel(fromRate: number, toRate: number): PolyphaseKernel {
  const key = `${fromRate}->${toRate}`;
  const cached = kernelCache.get(key);
  if (cached) return cached;
  const divisor = gcd(fromRate, toRate);
  const up = toRate / divisor;
  const down = fromRate / divisor;
  const phases = Math.min(up, MAX_PHASES);
  // Cutoff in cycles per input sample; when upsampling the input Nyquist is the limit.
  const cutoff = (CUTOFF_FRACTION * 0.5 * Math.min(fromRate, toRate)) / fromRate;
  const halfWidth = ZERO_CROSSINGS / (2 * cutoff); // in input samples
  const firstOffset = -Math.floor(halfWidth);
  const tapsPerPhase = 2 * Math.floor(halfWidth) + 2;
  const taps = new Float32Array(phases * tapsPerPhase);
  const besselBeta = besselI0(KAISER_BETA);
  for (let phase = 0; phase < phases; phase++) {
    const fraction = phase / phases;
    let sum = 0;
    const row = new Float64Array(tapsPerPhase);
    for (let k = 0; k < tapsPerPhase; k++) {
      const distance = firstOffset + k - fraction; // input sample minus output position
      const ratio = distance / halfWidth;
      if (Math.abs(ratio) >= 1) continue;
      const x = 2 * cutoff * distance;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      row[k] = sinc * (besselI0(KAISER_BETA * Math.sqrt(1 - ratio * ratio)) / besselBeta);
      sum += row[k];
    }
    // Unit DC gain in every phase keeps amplitude exact and avoids phase-dependent ripple.
    for (let k = 0; k < tapsPerPhase; k++) taps[phase * tapsPerPhase + k] = row[k] / sum;
  }
  const kernel = { up, down, phases, tapsPerPhase, firstOffset, taps };
  kernelCache.set(key, kernel);
  return kernel;
}

function gcd(a: number, b: number): number {
  let x = Math.round(a);
  let y = Math.round(b);
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const quarterSquare = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= quarterSquare / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}
