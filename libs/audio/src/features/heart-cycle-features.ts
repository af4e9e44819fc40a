// Features measured relative to the heart cycle: per frequency band, the energy between the heart
// sounds against the heart sounds themselves (a murmur fills systole or diastole), plus the rhythm.
// Ratios within one recording, so a stethoscope's gain and most of its frequency colouring cancel
// out. Band energies are sums of the segmentation's mel bands, frame by frame. The research replica
// (research/cycle_frames.py) is the reference.

import {
  checkHeartSoundSpectrogram,
  HEART_SOUND_SPECTROGRAM,
  heartSoundSpectrogram,
  type HeartSoundSpectrogram,
  segmentHeartSounds,
  type HeartSoundSegment,
} from '../segmentation/heart-sound-segmentation';
import { median, percentile } from '../dsp/percentile';
import { melFilterbank } from './mel-filterbank';

const BANDS_HZ = [
  [25, 50],
  [50, 100],
  [100, 200],
  [200, 400],
] as const;

export const HEART_CYCLE_FEATURE_NAMES = [
  ...BANDS_HZ.flatMap(([low, high]) => [
    `systole/S1 ${low}-${high} Hz`,
    `diastole/S2 ${low}-${high} Hz`,
    `systole/diastole ${low}-${high} Hz`,
  ]),
  'systole share of the cycle',
  'cycle length variation',
  'heart rate',
  'S2/S1 loudness 50-100 Hz',
  'systole/diastole 25-50 Hz spread',
] as const;

/** Frames either side of a heart sound's centre frame (+-40 ms), and frames kept clear of it (60 ms). */
const SOUND_HALF_WIDTH_FRAMES = 2;
const SOUND_MARGIN_FRAMES = 3;

/** Which of BANDS_HZ each mel band of the spectrogram belongs to, by the frequency where it peaks. */
const BAND_OF_MEL: number[] = melFilterbank(HEART_SOUND_SPECTROGRAM).map((weights) => {
  let peak = 0;
  for (let k = 1; k < weights.length; k++) if (weights[k] > weights[peak]) peak = k;
  const hz = (peak * HEART_SOUND_SPECTROGRAM.sampleRate) / HEART_SOUND_SPECTROGRAM.nFft;
  const band = BANDS_HZ.findIndex(([low, high]) => low <= hz && hz < high);
  return band < 0 ? BANDS_HZ.length - 1 : band;
});

/**
 * The mel bands of each of BANDS_HZ, [first, end): the mel bands rise in frequency, so each band's are
 * consecutive and a frame's band power is a plain sum over them.
 */
const MEL_RANGE_OF_BAND: readonly (readonly [number, number])[] = BANDS_HZ.map((_, band) => {
  const first = BAND_OF_MEL.indexOf(band);
  const end = BAND_OF_MEL.lastIndexOf(band) + 1;
  if (BAND_OF_MEL.slice(first, end).some((other) => other !== band))
    throw new Error(`the mel bands of ${BANDS_HZ[band].join('-')} Hz are not consecutive`);
  return first < 0 ? [0, 0] : [first, end];
});

/**
 * The 17 features of HEART_CYCLE_FEATURE_NAMES (log energy ratios are medians over the cycles) of a
 * conditioned 2 kHz recording, or null when it has fewer than two usable cycles.
 */
export function heartCycleFeatures(
  signal: Float32Array,
  spectrogram: HeartSoundSpectrogram = heartSoundSpectrogram(signal),
  segments: readonly HeartSoundSegment[] = segmentHeartSounds(signal, spectrogram),
): Float64Array | null {
  checkHeartSoundSpectrogram(spectrogram);
  const rate = HEART_SOUND_SPECTROGRAM.sampleRate / HEART_SOUND_SPECTROGRAM.hopLength;
  const centres = soundCentreFrames(segments);
  if (centres.length < 4) return null;
  const { frames } = spectrogram;
  const cumulativeEnergy = BANDS_HZ.map((_, band) => cumulativeBandEnergy(spectrogram, band));
  /** Mean power of a band over frames [from, to). */
  const meanEnergy = (band: number, from: number, to: number): number => {
    const a = Math.max(from, 0);
    const b = Math.min(to, frames);
    return (cumulativeEnergy[band][b] - cumulativeEnergy[band][a]) / Math.max(b - a, 1);
  };
  const half = SOUND_HALF_WIDTH_FRAMES;
  const margin = SOUND_MARGIN_FRAMES;
  const rows: number[][] = [];
  for (let i = 0; i + 2 < centres.length; i += 2) {
    const [s1, s2, next] = [centres[i], centres[i + 1], centres[i + 2]];
    const systole = s2 - s1;
    if (!(0.15 * rate < systole && systole < 0.6 * rate && systole < next - s2 + 0.1 * rate)) continue;
    const row: number[] = [];
    for (let band = 0; band < BANDS_HZ.length; band++) {
      const firstSound = meanEnergy(band, s1 - half, s1 + half + 1) + 1e-12;
      const secondSound = meanEnergy(band, s2 - half, s2 + half + 1) + 1e-12;
      const systolic = meanEnergy(band, s1 + margin, s2 - margin + 1) + 1e-12;
      const diastolic = meanEnergy(band, s2 + margin, next - margin + 1) + 1e-12;
      row.push(
        Math.log(systolic / firstSound),
        Math.log(diastolic / secondSound),
        Math.log(systolic / diastolic),
      );
    }
    row.push(systole / rate, (next - s1) / rate);
    rows.push(row);
  }
  if (rows.length < 2) return null;
  const column = (k: number): number[] => rows.map((row) => row[k]);
  const cycleSec = column(13);
  const features = Array.from({ length: 12 }, (_, k) => median(column(k)));
  const loudness = (sounds: number[]) =>
    Math.log(median(sounds.map((c) => meanEnergy(1, c - half, c + half + 1))) + 1e-12);
  features.push(
    median(rows.map((row) => row[12] / row[13])),
    standardDeviation(cycleSec) / mean(cycleSec),
    60 / median(cycleSec),
    loudness(centres.filter((_, i) => i % 2 === 1)) - loudness(centres.filter((_, i) => i % 2 === 0)),
    percentile(column(2), 90) - percentile(column(2), 10),
  );
  return Float64Array.from(features);
}

/**
 * A band's power summed over its mel bands, cumulated frame by frame ([0] = 0), so a mean over any
 * frames is one subtraction. Its own function: V8 optimises this loop on its own instead of entering
 * heartCycleFeatures mid-loop (on-stack replacement) and leaving that code once per recording.
 */
function cumulativeBandEnergy({ power, frames, mels }: HeartSoundSpectrogram, band: number): Float64Array {
  const [first, end] = MEL_RANGE_OF_BAND[band];
  const cumulative = new Float64Array(frames + 1);
  for (let t = 0; t < frames; t++) {
    let sum = 0;
    for (let m = t * mels + first; m < t * mels + end; m++) sum += power[m];
    cumulative[t + 1] = cumulative[t] + sum;
  }
  return cumulative;
}

/** Parts each systole and each diastole is cut into, in proportion to its own length. */
const CYCLE_THIRDS = 3;

export const ALIGNED_CYCLE_FEATURE_NAMES = (['systole', 'diastole'] as const).flatMap((phase) =>
  Array.from({ length: CYCLE_THIRDS }, (_, third) =>
    BANDS_HZ.map(([low, high]) => `${phase} third ${third + 1}/heart sounds ${low}-${high} Hz`),
  ).flat(),
);

/**
 * Where in the cycle the energy between the heart sounds lies: every beat's systole (end of S1 to
 * start of S2) and diastole (end of S2 to the next S1) cut into thirds of their own length, so beats
 * of different rates line up; per band the log of each third's mean power against the same beat's S1
 * and S2, the median over beats (ALIGNED_CYCLE_FEATURE_NAMES). An ejection murmur peaks mid-systole, a
 * regurgitant one fills it, a diastolic rumble sits early or late in diastole. Null with fewer than
 * two complete beats.
 */
export function alignedHeartCycleFeatures(
  spectrogram: HeartSoundSpectrogram,
  segments: readonly HeartSoundSegment[],
): Float64Array | null {
  checkHeartSoundSpectrogram(spectrogram);
  const { power, frames, mels } = spectrogram;
  const step = HEART_SOUND_SPECTROGRAM.hopLength;
  const sounds = segments
    .filter((s) => (s.state === 'S1' || s.state === 'S2') && s.start > 0)
    .map((s) => ({ state: s.state, from: Math.round(s.start / step), to: Math.round(s.end / step) }));
  const bands = BANDS_HZ.length;
  const bandPower = (from: number, to: number): Float64Array => {
    const out = new Float64Array(bands);
    const a = Math.max(0, from);
    const b = Math.min(frames, to);
    for (let t = a; t < b; t++) for (let m = 0; m < mels; m++) out[BAND_OF_MEL[m]] += power[t * mels + m];
    return out.map((v) => v / Math.max(1, b - a) + 1e-12);
  };
  const rows: number[][] = [];
  for (let i = 0; i + 2 < sounds.length; i++) {
    const [s1, s2, next] = [sounds[i], sounds[i + 1], sounds[i + 2]];
    if (s1.state !== 'S1' || s2.state !== 'S2' || next.state !== 'S1') continue;
    const phases = [
      [s1.to, s2.from],
      [s2.to, next.from],
    ];
    if (phases.some(([a, b]) => b - a < CYCLE_THIRDS) || next.from > frames) continue;
    const first = bandPower(s1.from, s1.to);
    const second = bandPower(s2.from, s2.to);
    const row: number[] = [];
    for (const [a, b] of phases)
      for (let k = 0; k < CYCLE_THIRDS; k++) {
        const energy = bandPower(
          a + Math.floor(((b - a) * k) / CYCLE_THIRDS),
          a + Math.floor(((b - a) * (k + 1)) / CYCLE_THIRDS),
        );
        for (let band = 0; band < bands; band++)
          row.push(Math.log(energy[band] / (0.5 * (first[band] + second[band]))));
      }
    rows.push(row);
  }
  if (rows.length < 2) return null;
  return Float64Array.from(ALIGNED_CYCLE_FEATURE_NAMES, (_, k) => median(rows.map((row) => row[k])));
}

/** Centre frames of S1, S2, S1, ... from the first S1 the recording does not cut off. */
function soundCentreFrames(segments: readonly HeartSoundSegment[]): number[] {
  const step = HEART_SOUND_SPECTROGRAM.hopLength;
  const sounds = segments.filter((s) => (s.state === 'S1' || s.state === 'S2') && s.start > 0);
  const first = sounds.findIndex((s) => s.state === 'S1');
  if (first < 0) return [];
  return sounds.slice(first).map((s) => Math.floor((s.start / step + s.end / step) / 2));
}

const mean = (values: number[]): number => values.reduce((sum, v) => sum + v, 0) / values.length;

function standardDeviation(values: number[]): number {
  const m = mean(values);
  return Math.sqrt(values.reduce((sum, v) => sum + (v - m) ** 2, 0) / values.length);
}
