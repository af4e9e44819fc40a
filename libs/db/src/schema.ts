// The whole product's PostgreSQL schema. drizzle-kit generates the migrations in ../migrations from
// this file, so later issues add columns here rather than redesign tables.
import { PREDICTION_LABELS, type WindowScore } from '@heartbeat/contracts';
import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const predictionLabel = pgEnum('prediction_label', PREDICTION_LABELS);
export const predictionStatus = pgEnum('prediction_status', ['pending', 'succeeded', 'failed']);
/** `receiving`: files are still being uploaded, so the total is not final and the batch cannot complete. */
export const batchStatus = pgEnum('batch_status', [
  'receiving',
  'pending',
  'running',
  'completed',
  'failed',
  'cancelled',
]);
export const modelVersionStatus = pgEnum('model_version_status', [
  'candidate',
  'promoted',
  'retired',
  'rejected',
]);
export const trainingRunStatus = pgEnum('training_run_status', [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
]);
export const trainingRunKind = pgEnum('training_run_kind', ['retrain', 'calibration']);
export const trainingLabel = pgEnum('training_label', ['normal', 'abnormal']);
export const trainingSampleSource = pgEnum('training_sample_source', ['base', 'upload']);
export const apiKeyRole = pgEnum('api_key_role', ['screening', 'admin']);
/** `active`: the site's requests use it; `superseded`: an older fit; `refused`: the fit was refused (see refusalCode). */
export const siteCalibrationStatus = pgEnum('site_calibration_status', ['active', 'superseded', 'refused']);

/** One model score per analysis window of a recording (the contract's shape). */
export type { WindowScore };

/** The decision rule a prediction was made with (a site calibration changes it, not the weights). */
export interface PredictionDecision {
  calibration: { slope: number; intercept: number };
  threshold: number;
  minimumQuality: number;
  site?: string;
  /** The site calibration (site_calibrations.id) that made the decision, when one did. */
  calibrationId?: string;
}

/** Where a model version's files live in object storage, by format (e.g. onnx, tfjs, card). */
export type ArtifactKeys = Record<string, string>;

/** Evaluation figures of a model or training run (MAcc, sensitivity, specificity, loss per epoch...). */
export type Metrics = Record<string, unknown>;

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    /** sha256 of the secret; the secret itself is shown once and never stored. */
    keyHash: text('key_hash').notNull(),
    /** The first characters of the secret, so people can tell their keys apart. */
    keyPrefix: text('key_prefix').notNull(),
    role: apiKeyRole('role').notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    /** After this the key no longer authenticates (null: never expires); rotation sets it on the old key. */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    /** Site whose calibration this key's screening requests use when they name none. */
    defaultSiteId: uuid('default_site_id').references(() => sites.id, { onDelete: 'set null' }),
  },
  (t) => [uniqueIndex('api_keys_key_hash_idx').on(t.keyHash)],
);

export const recordings = pgTable(
  'recordings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    storageKey: text('storage_key').notNull(),
    sha256: text('sha256').notNull(),
    originalFileName: text('original_file_name').notNull(),
    format: text('format').notNull(),
    sampleRate: integer('sample_rate'),
    channels: integer('channels'),
    durationSeconds: doublePrecision('duration_seconds'),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    uploadedBy: uuid('uploaded_by').references(() => apiKeys.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [
    index('recordings_sha256_idx').on(t.sha256),
    index('recordings_created_at_idx').on(t.createdAt),
    check('recordings_sha256_hex', sql`${t.sha256} ~ '^[0-9a-f]{64}$'`),
  ],
);

export const batches = pgTable(
  'batches',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    status: batchStatus('status').notNull().default('pending'),
    /** The client's Idempotency-Key header: a retried POST finds the batch it already created. */
    idempotencyKey: text('idempotency_key'),
    totalCount: integer('total_count').notNull().default(0),
    succeededCount: integer('succeeded_count').notNull().default(0),
    failedCount: integer('failed_count').notNull().default(0),
    createdBy: uuid('created_by').references(() => apiKeys.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('batches_idempotency_key_idx').on(t.idempotencyKey),
    index('batches_created_at_idx').on(t.createdAt),
    check(
      'batches_counts_non_negative',
      sql`${t.totalCount} >= 0 and ${t.succeededCount} >= 0 and ${t.failedCount} >= 0`,
    ),
  ],
);

export const trainingRuns = pgTable(
  'training_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: trainingRunKind('kind').notNull().default('retrain'),
    status: trainingRunStatus('status').notNull().default('queued'),
    progress: real('progress').notNull().default(0),
    params: jsonb('params').$type<Record<string, unknown>>().notNull().default({}),
    metrics: jsonb('metrics').$type<Metrics>(),
    log: text('log').notNull().default(''),
    error: text('error'),
    /** Site tag for calibration runs; null for full retraining. */
    site: text('site'),
    checkpointKey: text('checkpoint_key'),
    requestedBy: uuid('requested_by').references(() => apiKeys.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    index('training_runs_status_idx').on(t.status),
    index('training_runs_created_at_idx').on(t.createdAt),
    check('training_runs_progress_range', sql`${t.progress} >= 0 and ${t.progress} <= 1`),
  ],
);

export const modelVersions = pgTable(
  'model_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Semantic version, e.g. 1.2.0. */
    version: text('version').notNull(),
    status: modelVersionStatus('status').notNull().default('candidate'),
    metrics: jsonb('metrics').$type<Metrics>().notNull().default({}),
    artifactKeys: jsonb('artifact_keys').$type<ArtifactKeys>().notNull().default({}),
    datasetFingerprint: text('dataset_fingerprint'),
    /** Decision threshold and probability calibration (site calibration), when not the defaults. */
    calibration: jsonb('calibration').$type<Record<string, unknown>>(),
    statusReason: text('status_reason'),
    trainingRunId: uuid('training_run_id').references(() => trainingRuns.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    promotedAt: timestamp('promoted_at', { withTimezone: true }),
    retiredAt: timestamp('retired_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('model_versions_version_idx').on(t.version),
    // At most one version serves at a time; promotion retires the previous one in the same transaction.
    uniqueIndex('model_versions_one_promoted_idx')
      .on(t.status)
      .where(sql`${t.status} = 'promoted'`),
    check('model_versions_semver', sql`${t.version} ~ '^[0-9]+\\.[0-9]+\\.[0-9]+([-+].*)?$'`),
  ],
);

/**
 * A model version's score for each recording of its validation split (validation-scores.json of its
 * directory), stored at registration so ROC curves and calibration plots need no artifact download.
 */
export const modelValidationScores = pgTable(
  'model_validation_scores',
  {
    modelVersionId: uuid('model_version_id')
      .notNull()
      .references(() => modelVersions.id, { onDelete: 'cascade' }),
    /** The recording's id in the training data (e.g. a0001). */
    recordId: text('record_id').notNull(),
    subset: text('subset').notNull(),
    label: trainingLabel('label').notNull(),
    /** The model's score (logit) before calibration. */
    score: doublePrecision('score').notNull(),
    /** sigmoid(slope * score + intercept) with the version's own calibration. */
    probability: doublePrecision('probability').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.modelVersionId, t.recordId] }),
    check('model_validation_scores_probability_range', sql`${t.probability} >= 0 and ${t.probability} <= 1`),
  ],
);

export const predictions = pgTable(
  'predictions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    recordingId: uuid('recording_id')
      .notNull()
      .references(() => recordings.id, { onDelete: 'cascade' }),
    batchId: uuid('batch_id').references(() => batches.id, { onDelete: 'set null' }),
    jobId: text('job_id'),
    /** The site the request named: its job decides with that site's calibration, re-queued or not. */
    requestedSite: text('requested_site'),
    status: predictionStatus('status').notNull().default('pending'),
    /** Version string of the model that produced it (not a FK: a bundled model may predate the registry). */
    modelVersion: text('model_version'),
    label: predictionLabel('label'),
    probability: real('probability'),
    windowScores: jsonb('window_scores').$type<WindowScore[]>(),
    /** Calibration, threshold and quality gate used, so a site-calibrated answer can be traced. */
    decision: jsonb('decision').$type<PredictionDecision>(),
    qualityScore: real('quality_score'),
    latencyMs: integer('latency_ms'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    createdAt: createdAt(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [
    index('predictions_recording_id_idx').on(t.recordingId),
    index('predictions_batch_id_idx').on(t.batchId),
    index('predictions_created_at_idx').on(t.createdAt),
    index('predictions_label_created_at_idx').on(t.label, t.createdAt),
    // The console's history filter by model version, newest first.
    index('predictions_model_version_created_at_idx').on(t.modelVersion, t.createdAt),
    // Small: only what has no outcome yet (the gateway's sweep for predictions never queued).
    index('predictions_pending_created_at_idx')
      .on(t.createdAt)
      .where(sql`${t.status} = 'pending'`),
    check(
      'predictions_probability_range',
      sql`${t.probability} is null or (${t.probability} >= 0 and ${t.probability} <= 1)`,
    ),
  ],
);

export const trainingSamples = pgTable(
  'training_samples',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    recordingId: uuid('recording_id')
      .notNull()
      .references(() => recordings.id, { onDelete: 'cascade' }),
    label: trainingLabel('label').notNull(),
    source: trainingSampleSource('source').notNull().default('upload'),
    /** Hospital/site tag for site calibration; null for the base data set. */
    site: text('site'),
    createdAt: createdAt(),
  },
  (t) => [
    // A recording may be a sample of several sites (each tags its own copy); null site = no site.
    unique('training_samples_recording_source_site_key')
      .on(t.recordingId, t.source, t.site)
      .nullsNotDistinct(),
    index('training_samples_site_idx').on(t.site),
  ],
);

/** A hospital's screening site: its own stethoscope and population, so its own operating point. */
export const sites = pgTable(
  'sites',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The site tag: what requests and training uploads name (`site`, X-HeartBeat-Site). */
    name: text('name').notNull(),
    device: text('device'),
    owner: text('owner'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('sites_name_idx').on(t.name),
    check('sites_name_format', sql`${t.name} ~ '^[A-Za-z0-9][A-Za-z0-9-]{0,39}$'`),
  ],
);

/** Figures of a site calibration fit, all on the site's own labelled recordings. */
export type SiteCalibrationMetrics = Record<string, unknown>;

/**
 * A site's decision on top of whichever model is promoted: p_site = sigmoid(slope * logit(p_model) +
 * intercept), abnormal when p_site >= threshold. Rows are never changed after they are written
 * except for their status, so a prediction's calibrationId always names the rule it used.
 */
export const siteCalibrations = pgTable(
  'site_calibrations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    siteId: uuid('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    status: siteCalibrationStatus('status').notNull(),
    /** The model version whose scores it was fitted on. */
    baseModelVersion: text('base_model_version').notNull(),
    slope: doublePrecision('slope'),
    intercept: doublePrecision('intercept'),
    threshold: doublePrecision('threshold'),
    /** Stable code of a refused fit (SITE_RANKING_TOO_WEAK...), and why in words. */
    refusalCode: text('refusal_code'),
    refusalReason: text('refusal_reason'),
    normalRecords: integer('normal_records').notNull().default(0),
    abnormalRecords: integer('abnormal_records').notNull().default(0),
    metrics: jsonb('metrics').$type<SiteCalibrationMetrics>().notNull().default({}),
    trainingRunId: uuid('training_run_id').references(() => trainingRuns.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [
    index('site_calibrations_site_created_idx').on(t.siteId, t.createdAt),
    // One calibration in force per site; a new fit supersedes the old one in the same transaction.
    uniqueIndex('site_calibrations_one_active_idx')
      .on(t.siteId)
      .where(sql`${t.status} = 'active'`),
    check(
      'site_calibrations_decision',
      sql`${t.status} = 'refused' or (${t.slope} > 0 and ${t.intercept} is not null and ${t.threshold} >= 0 and ${t.threshold} <= 1)`,
    ),
  ],
);

export const auditEvents = pgTable(
  'audit_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    actorKeyId: uuid('actor_key_id').references(() => apiKeys.id, { onDelete: 'set null' }),
    /** What happened, dotted: model.promoted, api_key.created, training.started... */
    action: text('action').notNull(),
    subjectType: text('subject_type'),
    subjectId: text('subject_id'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    index('audit_events_created_at_idx').on(t.createdAt),
    index('audit_events_subject_idx').on(t.subjectType, t.subjectId),
  ],
);

export type ApiKey = typeof apiKeys.$inferSelect;
export type NewApiKey = typeof apiKeys.$inferInsert;
export type Recording = typeof recordings.$inferSelect;
export type NewRecording = typeof recordings.$inferInsert;
export type Batch = typeof batches.$inferSelect;
export type NewBatch = typeof batches.$inferInsert;
export type Prediction = typeof predictions.$inferSelect;
export type NewPrediction = typeof predictions.$inferInsert;
export type ModelVersion = typeof modelVersions.$inferSelect;
export type NewModelVersion = typeof modelVersions.$inferInsert;
export type ModelValidationScore = typeof modelValidationScores.$inferSelect;
export type NewModelValidationScore = typeof modelValidationScores.$inferInsert;
export type TrainingRun = typeof trainingRuns.$inferSelect;
export type NewTrainingRun = typeof trainingRuns.$inferInsert;
export type TrainingSample = typeof trainingSamples.$inferSelect;
export type NewTrainingSample = typeof trainingSamples.$inferInsert;
export type Site = typeof sites.$inferSelect;
export type NewSite = typeof sites.$inferInsert;
export type SiteCalibration = typeof siteCalibrations.$inferSelect;
export type NewSiteCalibration = typeof siteCalibrations.$inferInsert;
export type SiteCalibrationStatus = (typeof siteCalibrationStatus.enumValues)[number];
export type AuditEvent = typeof auditEvents.$inferSelect;
export type NewAuditEvent = typeof auditEvents.$inferInsert;

export type PredictionLabel = (typeof predictionLabel.enumValues)[number];
export type PredictionStatus = (typeof predictionStatus.enumValues)[number];
export type BatchStatus = (typeof batchStatus.enumValues)[number];
export type ModelVersionStatus = (typeof modelVersionStatus.enumValues)[number];
export type TrainingRunStatus = (typeof trainingRunStatus.enumValues)[number];
export type ApiKeyRole = (typeof apiKeyRole.enumValues)[number];
