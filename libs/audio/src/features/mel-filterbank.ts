// Slaney-style mel filterbank, matching librosa.filters.mel(htk=False, norm='slaney') so features
// computed here and in any Python notebook agree.

const SLANEY_LINEAR_STEP_HZ = 200 / 3;
const SLANEY_BREAK_HZ = 1000;
const SLANEY_BREAK_MEL = SLANEY_BREAK_HZ / SLANEY_LINEAR_STEP_HZ;
const SLANEY_LOG_STEP = Math.log(6.4) / 27;

export function hzToMelSlaney(hz: number): number {
  if (hz < SLANEY_BREAK_HZ) return hz / SLANEY_LINEAR_STEP_HZ;
  return SLANEY_BREAK_MEL + Math.log(hz / SLANEY_BREAK_HZ) / SLANEY_LOG_STEP;
}

export function melToHzSlaney(mel: number): number {
  if (mel < SLANEY_BREAK_MEL) return mel * SLANEY_LINEAR_STEP_HZ;
  return SLANEY_BREAK_HZ * Math.exp(SLANEY_LOG_STEP * (mel - SLANEY_BREAK_MEL));
}

export type MelFilterbankSpec = {
  readonly sampleRate: number;
  readonly nFft: number;
  readonly nMels: number;
  readonly fMin: number;
  readonly fMax: number;
};

/** Dense [nMels][nFft/2 + 1] weights, band-major, area-normalised (Slaney). */
export function melFilterbank(spec: MelFilterbankSpec): Float64Array[] {
  const { sampleRate, nFft, nMels, fMin, fMax } = spec;
  const bins = nFft / 2 + 1;
  const fftFrequencies = Array.from({ length: bins }, (_, k) => (k * sampleRate) / nFft);
  const minMel = hzToMelSlaney(fMin);
  const maxMel = hzToMelSlaney(fMax);
  const edges = Array.from({ length: nMels + 2 }, (_, i) =>
    melToHzSlaney(minMel + ((maxMel - minMel) * i) / (nMels + 1)),
  );
  return Array.from({ length: nMels }, (_, band) => {
    const [lower, centre, upper] = [edges[band], edges[band + 1], edges[band + 2]];
    const areaNormalisation = 2 / (upper - lower);
    const weights = new Float64Array(bins);
    for (let k = 0; k < bins; k++) {
      const rising = (fftFrequencies[k] - lower) / (centre - lower);
      const falling = (upper - fftFrequencies[k]) / (upper - centre);
      weights[k] = Math.max(0, Math.min(rising, falling)) * areaNormalisation;
    }
    return weights;
  });
}
