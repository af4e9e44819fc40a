// @heartbeat/model-training: training a model version. The TensorFlow.js network (CNN, logit loss,
// backend selection and the wasm training kernels), the trainer with its augmentation and
// conditioned-signal cache, the split policies, ONNX export, the heart-cycle model's fit, evaluation
// reports, the segmentation fit and scores, model cards and the finishing of a version directory.
// Serving (model input, inference, the decision, the manifest) is @heartbeat/model, which this builds on.
export { activeTfBackend, type ActiveTfBackend, initTfBackend } from './network/backend';
export { registerWasmTrainingKernels } from './network/wasm-kernels';
export {
  buildHeartSoundCnn,
  countMultiplyAccumulates,
  DEFAULT_BLOCK_FILTERS,
  type HeartSoundCnnOptions,
  networkInputShape,
  WINDOW_INPUT_SHAPE,
} from './network/cnn';
export {
  binaryAccuracyFromLogits,
  compileHeartSoundCnn,
  type CompileOptions,
  sigmoidCrossEntropyFromLogits,
} from './network/logit-loss';
export {
  exportToOnnx,
  ONNX_INPUT_NAME,
  ONNX_LOGIT_OUTPUT,
  ONNX_OPSET,
  ONNX_PROBABILITY_OUTPUT,
} from './network/onnx-export';
export { TfjsWindowClassifier } from './tfjs-runtime/tfjs-window-classifier';
export {
  fileSystemModelReader,
  fileSystemModelWriter,
  loadTfjsModel,
  saveTfjsModel,
} from './tfjs-runtime/tfjs-model-files';
export {
  cosineLearningRate,
  DEFAULT_TRAINING_PARAMS,
  type EpochReport,
  fitDecision,
  type RecordScores,
  scoreRecordings,
  type ThresholdRule,
  type TrainingInput,
  type TrainingOutcome,
  type TrainingParams,
  trainWindowClassifier,
  validationSummary,
} from './training/trainer';
export {
  DEFAULT_MINIMUM_QUALITY,
  readRecordScores,
  type RecordScoreRow,
  reportFor,
  splitOf,
  type SubsetReport,
  type TrainedModelVersion,
  type TrainingReport,
  trainModelVersion,
  type TrainModelVersionOptions,
  validationRecordsOf,
  writeRecordScores,
} from './training/train-model-version';
export {
  decodeCheckpoint,
  encodeCheckpoint,
  restoreCheckpoint,
  snapshotCheckpoint,
  type TrainingCheckpoint,
} from './training/checkpoint';
export {
  addNoise,
  applyBiquad,
  type AugmentationOptions,
  augmentSignalWindow,
  cropAndStretch,
  type CroppedWindow,
  cropRandomWindow,
  cropRandomWindowWithSource,
  DEFAULT_AUGMENTATION,
  imitateDevice,
  maskRandomBands,
} from './training/augmentation';
export {
  type ConditionedRecording,
  type ConditioningFailure,
  loadConditionedSignals,
} from './training/conditioned-signals';
export { addSyntheticMurmur, heartSoundPeaks } from './training/synthetic-murmur';
export {
  datasetFingerprint,
  type DatasetSplit,
  DEFAULT_EVALUATION_FRACTION,
  DEFAULT_VALIDATION_FRACTION,
  developmentSplit,
  fnv1a32,
  leaveOneSubsetOut,
  type PolicySplit,
  type SplitPolicy,
  splitByRecordHash,
  splitPolicyOf,
  splitPolicySchema,
  splitRecordings,
  stratifiedSplit,
} from './data/split';
export {
  evaluationReport,
  type EvaluationReport,
  formatEvaluationTable,
  type GroupEvaluation,
  type ScreenedRecording,
} from './evaluation/evaluation-report';
export {
  cycleModelManifestFields,
  type CycleModelOutcome,
  trainCycleModel,
} from './cycle-model/cycle-model-training';
export {
  type AnnotatedSegment,
  annotatedSpan,
  AnnotationFormatError,
  type HeartCycleAnnotation,
  type NoisyStretch,
  parseHeartCycleAnnotation,
} from './segmentation/heart-cycle-annotation';
export {
  addSegmentationScores,
  ONSET_TOLERANCE_SECONDS,
  type OnsetCounts,
  onsetMetrics,
  type OnsetMetrics,
  scoreSegmentation,
  type SegmentationScore,
} from './segmentation/segmentation-score';
export {
  annotatedDurations,
  annotatedFrames,
  type AnnotatedFrames,
  annotatedFrameStates,
  type AnnotatedSpectrogram,
  DEFAULT_SEGMENTATION_FIT,
  fitMultinomialLogistic,
  fitSegmentationModel,
  fitSegmentationModelOnFrames,
  type SegmentationFitOptions,
} from './segmentation/segmentation-model-fit';
export {
  type CardTrainingReport,
  type LeaveOneSubsetOutResult,
  type ModelCardInput,
  renderModelCard,
  type SegmentationScoreReport,
  type ShortClipReport,
  type SiteOperatingPointsFold,
  type SiteOperatingPointsReport,
  type TrainingLength,
  trainingLengthOf,
} from './model-card/model-card';
export {
  candidateMovesDefault,
  type ComparedModel,
  type ResearchComparisonReport,
} from './model-card/research-comparison';
export {
  finaliseModelDirectory,
  LEAVE_ONE_SUBSET_OUT_FILE,
  MODEL_CARD_FILE,
  renderModelCardOf,
  RESEARCH_COMPARISON_FILE,
  SEGMENTATION_SCORE_FILE,
  SHORT_CLIPS_FILE,
  SITE_OPERATING_POINTS_FILE,
  writeModelCardFile,
} from './model-card/model-directory';
