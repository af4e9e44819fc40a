// @heartbeat/model: what serving a model version needs, and nothing that trains one. The model input
// (audio to normalised log-mel windows), window classifiers on onnxruntime, the record-level decision
// (aggregation, calibration, site operating points), the heart-cycle model's scoring, a version
// directory's manifest and the bundled versions, and the screener that joins them. Importing it does
// not load TensorFlow.js (libs/model/test/serving-import-graph.test.ts); training, the tfjs network,
// ONNX export, evaluation and model cards are @heartbeat/model-training.
export {
  COMPACT_MODEL_INPUT,
  DEFAULT_HOP_SECONDS,
  DEFAULT_MODEL_INPUT,
  heartSoundMask,
  type HeartSoundMask,
  MEL_BANDS,
  MIN_HEART_SOUND_FRAMES,
  MODEL_SAMPLE_RATE,
  type ModelInputSpec,
  NORMALISATION_SEGMENTATION_WINDOW,
  normalisesOverHeartSounds,
  normaliseWindowFeatures,
  recordingWindows,
  type RecordingWindows,
  repeatToLength,
  segmentForNormalisation,
  WINDOW_FRAMES,
  WINDOW_SAMPLES,
  WINDOW_SECONDS,
  WINDOW_VALUES,
  windowFeatures,
  windowHeartSoundFrames,
  type WindowNormalisation,
  windowShape,
  type WindowShape,
  windowStartSamples,
} from './input/model-input';
export {
  AUDIO_FILE_EXTENSIONS,
  DatasetLayoutError,
  discoverLabelledRecordings,
  type HeartSoundLabel,
  type LabelledRecording,
  listAudioFiles,
} from './data/labelled-recordings';
export { gaussian, type Random, seededRandom, shuffleInPlace, uniform } from './data/random';
export {
  areaUnderRoc,
  binaryMetrics,
  type BinaryMetrics,
  confusionMatrix,
  type ConfusionMatrix,
  expectedCalibrationError,
  rocCurve,
  type RocPoint,
  thresholdMaximisingMacc,
  thresholdMaximisingSiteMacc,
} from './metrics/binary-metrics';
export {
  aggregateWindowLogits,
  calibratedProbability,
  type Calibration,
  decideLabel,
  type DecisionPolicy,
  fitPlattCalibration,
  type RecordingLabel,
  recordingScore,
  sigmoid,
} from './decision/record-decision';
export {
  aucStandardError,
  checkSiteRecordCounts,
  drawSiteRecords,
  fitSiteOperatingPoint,
  fitSiteOperatingPointOnScores,
  metricsWithDecision,
  modelLogit,
  type ScoredRecord,
  SITE_CALIBRATION_DEFAULTS,
  SiteCalibrationError,
  type SiteCalibrationRefusalCode,
  siteCalibrationTrial,
  type SiteCalibrationTrial,
  siteDecisionPolicy,
  type SiteFit,
  type SiteFitFigures,
  type SiteFitOptions,
  type SiteOperatingPoint,
  type SiteRecord,
  wilsonLowerBound,
} from './decision/site-calibration';
export {
  DEFAULT_GRADIENT_BOOSTING,
  fitGradientBoosting,
  type GradientBoostedTrees,
  type GradientBoostingOptions,
  predictLogit,
  type TreeNode,
} from './cycle-model/gradient-boosting';
export {
  CYCLE_FEATURE_SETS,
  CYCLE_MODEL_FILE,
  CYCLE_MODEL_KIND,
  CYCLE_MODEL_SPECTROGRAM_WINDOW,
  cycleFeatureNames,
  type CycleFeatureSet,
  cycleFeaturesOf,
  type CycleModel,
  cycleModelLogit,
  DEFAULT_CYCLE_MODEL_WEIGHT,
  fitCycleModel,
  loadCycleModelOf,
  readCycleModel,
  type WeightedCycleModel,
  writeCycleModel,
} from './cycle-model/cycle-model';
export {
  describeModelInput,
  MANIFEST_FILE,
  ModelDirectoryError,
  modelInputOfManifest,
  type ModelManifest,
  modelManifestIssues,
  readModelManifest,
  writeModelManifest,
} from './model-version/model-manifest';
export {
  BUNDLED_MODELS_DIR,
  bundledModelDirs,
  compareSemver,
  defaultModelDir,
} from './model-version/bundled-versions';
export {
  decideFromWindowLogits,
  heartCycleLogit,
  type PreparedRecording,
  prepareRecording,
  RecordingScreener,
  type ScreeningResult,
} from './screening/recording-screener';
export { loadRecordingScreener, type LoadScreenerOptions } from './screening/load-screener';
export {
  assertBatchSize,
  ONNX_MODEL_FILE,
  TFJS_MODEL_FILE,
  TFJS_WEIGHTS_FILE,
  type WindowClassifier,
} from './inference/window-classifier';
export {
  type OnnxClassifierOptions,
  type OnnxExecutionProvider,
  OnnxWindowClassifier,
} from './inference/onnx-window-classifier';
export {
  type InferenceRuntime,
  loadWindowClassifier,
  type LoadWindowClassifierOptions,
  type TfBackendPreference,
  type TfjsClassifierOptions,
} from './inference/load-window-classifier';
export { DynamicBatcher, type DynamicBatcherOptions } from './inference/dynamic-batcher';
export { HotSwapSlot, type Lease } from './inference/hot-swap-slot';
