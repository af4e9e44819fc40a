export * from './schema';
export { GroupCommit, type GroupCommitOptions } from './group-commit';
export { connectDatabase, isDatabaseUnavailable, type Database, type DatabaseConnection } from './client';
export { runMigrations, ensureDatabase, MIGRATIONS_FOLDER, type MigrationOutcome } from './migrate';
export { normalisePage, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page, type PageRequest } from './pagination';
export { ApiKeysRepository } from './repositories/api-keys.repository';
export { AuditRepository } from './repositories/audit.repository';
export { BatchesRepository, type CreateBatch } from './repositories/batches.repository';
export { ModelVersionsRepository } from './repositories/model-versions.repository';
export {
  PredictionsRepository,
  type PendingCursor,
  type PendingPrediction,
  type PredictionFilter,
  type PredictionFailure,
  type PredictionOutcome,
} from './repositories/predictions.repository';
export {
  ScreeningRepository,
  type RegisteredUpload,
  type UploadToScreen,
} from './repositories/screening.repository';
export { RecordingsRepository, type RecordingUsage } from './repositories/recordings.repository';
export { TrainingRunsRepository, TrainingSamplesRepository } from './repositories/training.repository';
export { SitesRepository, type SiteWithCalibration } from './repositories/sites.repository';
