// @heartbeat/model/screening: the narrow entry the CLI's classify uses (a model version directory
// opened as a RecordingScreener, the bundled versions, audio file discovery). The main entry does not
// load TensorFlow.js either since the training code moved to @heartbeat/model-training.
export { BUNDLED_MODELS_DIR, bundledModelDirs, defaultModelDir } from '../model-version/bundled-versions';
export { DEFAULT_CYCLE_MODEL_WEIGHT } from '../cycle-model/cycle-model';
export { listAudioFiles } from '../data/labelled-recordings';
export { readModelManifest } from '../model-version/model-manifest';
export { loadRecordingScreener, type LoadScreenerOptions } from './load-screener';
export type { RecordingScreener, ScreeningResult } from './recording-screener';
