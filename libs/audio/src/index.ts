// @heartbeat/audio: every recording enters the platform through here, from uploaded bytes to the
// log-mel features the model reads.

export { AUDIO_ERROR_CODES, AudioError, isAudioError, type AudioErrorCode } from './errors';
export { decodeAudio, decodeWfdbRecord, type DecodedAudio, type DecodeOptions } from './decode/decode-audio';
export { detectFormat, type AudioFormat, type DetectedFormat } from './decode/detect-format';
export { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './decode/limits';
export { parseWavHeader, type WavHeader } from './decode/wav-header';
export { parseWfdbHeader, readWfdbSignal, type WfdbHeader, type WfdbSignalSpec } from './decode/wfdb';
export { floatWav, wfdbRecordAsWav, wfdbSignalFileName } from './decode/wfdb-record';
export { resample } from './dsp/resample';
export { median, percentile, percentileOfSorted } from './dsp/percentile';
export { butterworthHighPass, butterworthLowPass, filtfilt, type Biquad } from './dsp/butterworth';
export {
  bandPass,
  conditionSignal,
  CONDITIONING,
  MODEL_SAMPLE_RATE,
  prepareSignal,
  quantileOfMagnitude,
} from './dsp/condition';
export {
  DEFAULT_HOP_SEC,
  DEFAULT_WINDOW_SEC,
  MIN_RECORDING_SEC,
  segmentIntoWindows,
  type SignalWindow,
  type WindowOptions,
} from './windows';
export {
  DEFAULT_FEATURE_CONFIG,
  frameCount,
  framesServe,
  logMelSpectrogram,
  logMelSpectrogramsOfWindows,
  type FeatureConfig,
  type LogMelSpectrogram,
  type MelPowerSpectrogram,
} from './features/log-mel';
export {
  hzToMelSlaney,
  melFilterbank,
  melToHzSlaney,
  type MelFilterbankSpec,
} from './features/mel-filterbank';
export {
  assessSignalQuality,
  assessWindowQuality,
  heartSoundEnvelope,
  QUALITY_SCORING,
  type SignalQuality,
} from './quality';
export {
  estimateHeartRate,
  HEART_SOUND_SPECTROGRAM,
  HEART_SOUND_WINDOW_LENGTHS,
  heartSoundSpectrogram,
  heartSoundSpectrogramConfig,
  type HeartSoundWindowLength,
  type HeartSoundSpectrogram,
  HEART_SOUND_STATES,
  heartCycles,
  HEART_SOUND_FRAME_FEATURE_NAMES,
  heartSoundFrameFeatures,
  type HeartSoundSegmentationModel,
  segmentHeartSounds,
  type SegmentationDurations,
  SEGMENTATION,
  type HeartCycle,
  type HeartSoundSegment,
  type HeartSoundState,
} from './segmentation/heart-sound-segmentation';
export {
  ALIGNED_CYCLE_FEATURE_NAMES,
  alignedHeartCycleFeatures,
  HEART_CYCLE_FEATURE_NAMES,
  heartCycleFeatures,
} from './features/heart-cycle-features';
