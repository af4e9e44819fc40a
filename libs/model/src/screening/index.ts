// @heartbeat/model/screening: what screening recordings needs (a model version directory opened as a
// RecordingScreener, the bundled versions, audio file discovery) without the training code and
// TensorFlow.js that the package's main entry brings, so the CLI's classify starts quickly.
export { BUNDLED_MODELS_DIR, bundledModelDirs, defaultModelDir } from '../registry/bundled-models';
export { DEFAULT_CYCLE_MODEL_WEIGHT } from '../cycle-model/cycle-model';
export { listAudioFiles } from '../data/labelled-recordings';
export { readModelManifest } from '../registry/model-manifest';
export { loadRecordingScreener, type LoadScreenerOptions } from './load-screener';
export type { RecordingScreener, ScreeningResult } from './recording-screener';
