// Synthetic murmurs: band-limited noise laid between the heart sounds of a normal recording, which
// then counts as abnormal. In the training data each database has its own disease mix and its own
// stethoscope, so "abnormal" is partly learnable from the device alone; a murmur drawn onto normal
// recordings of every database shows the network abnormal examples on every device.
import { heartSoundEnvelope, QUALITY_SCORING, quantileOfMagnitude } from '@heartbeat/audio';
import { gaussian, MODEL_SAMPLE_RATE, type Random, uniform } from '@heartbeat/model';
import { applyBiquad } from './augmentation';

const MIN_GAP_SECONDS = 0.18;

/** Sample positions of the heart sounds (S1 and S2 alike): peaks of the 50 Hz envelope well above its median. */
export function heartSoundPeaks(window: Float32Array): number[] {
  const raw = heartSoundEnvelope(window, MODEL_SAMPLE_RATE);
  const block = Math.round(MODEL_SAMPLE_RATE / QUALITY_SCORING.envelopeRate);
  const blocks = raw.length;
  const envelope = raw.map(
    (_, b) => (raw[Math.max(0, b - 1)] + raw[b] + raw[Math.min(blocks - 1, b + 1)]) / 3,
  );
  const sorted = Float64Array.from(envelope).sort();
  const quantile = (q: number) => sorted[Math.min(blocks - 1, Math.floor(q * (blocks - 1)))];
  const threshold = quantile(0.6) + 0.35 * (quantile(0.98) - quantile(0.6));
  if (!(quantile(0.98) > quantile(0.6))) return []; // silence or a flat envelope: no bursts
  const peaks: number[] = [];
  for (let b = 1; b < blocks - 1; b++) {
    if (envelope[b] < threshold || envelope[b] < envelope[b - 1] || envelope[b] < envelope[b + 1]) continue;
    const last = peaks[peaks.length - 1];
    if (last !== undefined && ((b - last) * block) / MODEL_SAMPLE_RATE < MIN_GAP_SECONDS) {
      if (envelope[b] > envelope[last]) peaks[peaks.length - 1] = b;
    } else peaks.push(b);
  }
  return peaks.map((b) => b * block + block / 2);
}

/**
 * A copy of `window` with a murmur between heart sounds: in the shorter gaps (systole, usually), the
 * longer ones, or all of them; noise band-passed somewhere in 60-600 Hz with a plateau, diamond or
 * decrescendo shape, at 8-50 % of the signal's 99th-percentile level. Undefined when fewer than three
 * heart sounds are found (the caller draws another window).
 */
export function addSyntheticMurmur(window: Float32Array, random: Random): Float32Array | undefined {
  const peaks = heartSoundPeaks(window);
  if (peaks.length < 3) return undefined;
  const gaps = peaks
    .slice(1)
    .map((end, i) => ({ start: peaks[i], end, seconds: (end - peaks[i]) / MODEL_SAMPLE_RATE }));
  const median = [...gaps].sort((a, b) => a.seconds - b.seconds)[Math.floor((gaps.length - 1) / 2)].seconds;
  const kind = random();
  const chosen = gaps.filter((g) =>
    kind < 0.6
      ? g.seconds >= 0.15 && g.seconds <= median
      : kind < 0.85
        ? g.seconds >= median
        : g.seconds >= 0.15 && g.seconds <= 1.2,
  );
  if (chosen.length === 0) return undefined;

  const low = uniform(random, 60, 250);
  const high = Math.min(low + uniform(random, 60, 250), 600);
  const noise = Float32Array.from({ length: window.length }, () => gaussian(random));
  for (let pass = 0; pass < 2; pass++) {
    applyBiquad(noise, 'highpass', low, 0.707);
    applyBiquad(noise, 'lowpass', high, 0.707);
  }
  const noiseScale = 1 / Math.max(quantileOfMagnitude(noise, 0.99), 1e-6);
  const shape = random();
  const level = uniform(random, 0.08, 0.5) * noiseScale;
  const margin = Math.round(0.05 * MODEL_SAMPLE_RATE);
  const ramp = 0.01 * MODEL_SAMPLE_RATE;
  const out = Float32Array.from(window);
  for (const gap of chosen) {
    const start = gap.start + margin;
    const length = gap.end - margin - start;
    if (length < margin) continue;
    for (let i = 0; i < length; i++) {
      const t = i / (length - 1);
      const envelope = shape < 1 / 3 ? 1 : shape < 2 / 3 ? 1 - Math.abs(2 * t - 1) : 1 - t;
      const fade = Math.min(1, Math.min(i, length - 1 - i) / ramp);
      out[start + i] += level * envelope * fade * noise[start + i];
    }
  }
  return out;
}
