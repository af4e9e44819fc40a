// @heartbeat/model-registry: model versions as database rows plus artifacts in object storage,
// promotion and rollback, and the hot-swappable model a serving process holds.
export { ModelRegistryError } from './errors';
export {
  artifactKey,
  ModelRegistry,
  MODEL_ARTIFACTS_PREFIX,
  type ArtifactStore,
  type AuditTrail,
  type ModelRegistryDependencies,
  type ModelVersionStore,
  type PromoteOptions,
  type PromotionOutcome,
  type PromotionPublisher,
  type RegisterOptions,
  type RegisterOutcome,
} from './model-registry';
export {
  PromotionWatcher,
  type PromotionSubscriber,
  type PromotionWatcherOptions,
} from './promotion-watcher';
export {
  createClassifierLoader,
  ModelHost,
  type ClassifierLoaderOptions,
  type ModelHostOptions,
  type ServedModel,
} from './model-host';
export {
  decidePromotion,
  type EvaluationOnSet,
  type PromotionDecision,
  type PromotionInput,
} from './promotion-policy';
export {
  readValidationScores,
  reliabilityDiagram,
  rocCurve,
  validationCurves,
  VALIDATION_SCORES_FILE,
  type ReliabilityBin,
  type RocPoint,
  type ScoreCalibration,
  type ValidationCurves,
  type ValidationScore,
} from './validation-curves';
