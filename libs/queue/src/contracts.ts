// The queue contract: names, job payloads, job results and events, each with one zod schema that
// producers (gateway) and consumers (workers) both import. Bump schemaVersion on breaking changes.
import {
  predictionLabelSchema,
  probabilitySchema,
  qualityScoreSchema,
  windowScoreSchema,
} from '@heartbeat/contracts';
import { z } from 'zod';

export const QUEUE_NAMES = {
  predictions: 'predictions',
  training: 'training',
  /** Jobs that exhausted their attempts or were rejected as invalid, kept for inspection. */
  deadLetter: 'dead-letter',
} as const;

export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

/** Redis pub/sub channel on which the registry announces a newly promoted model version. */
export const MODEL_PROMOTED_CHANNEL = 'heartbeat:model-promoted';

/** Redis pub/sub channel on which a site's new calibration is announced (message: the site's name). */
export const SITE_CALIBRATION_CHANGED_CHANNEL = 'heartbeat:site-calibration-changed';

/** A site's name (tag): what requests, uploads and calibrations name it by. */
export const SITE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,39}$/;
const siteName = z.string().regex(SITE_NAME_PATTERN, 'site names are 1-40 letters, digits and dashes');

const schemaVersion = z.literal(1).default(1);

/**
 * W3C trace context (traceparent, tracestate) of the request that queued the job, so the worker's
 * spans join that request's trace. Optional: absent when tracing is off.
 */
const traceContext = z.record(z.string(), z.string()).optional();

export { windowScoreSchema };

export const predictionJobSchema = z.object({
  schemaVersion,
  recordingId: z.uuid(),
  /** Object-storage key of the recording's bytes. */
  storageKey: z.string().min(1),
  /** The pending predictions row to fill in, when the producer created one. */
  predictionId: z.uuid().optional(),
  batchId: z.uuid().optional(),
  /** Pin a model version; the promoted one is used when absent. */
  modelVersion: z.string().min(1).optional(),
  /** The site whose calibration (the one in force when the job runs) decides; the model's own decision when absent. */
  site: siteName.optional(),
  requestedAt: z.iso.datetime({ offset: true }),
  traceContext,
});

export const predictionErrorSchema = z.object({
  /** Stable machine-readable code, e.g. TOO_SHORT, UNSUPPORTED_FORMAT, MODEL_UNAVAILABLE. */
  code: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'error codes are UPPER_SNAKE_CASE'),
  message: z.string().min(1),
});

export const predictionResultSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('succeeded'),
    predictionId: z.uuid().optional(),
    label: predictionLabelSchema,
    probability: probabilitySchema,
    quality: qualityScoreSchema,
    windows: z.array(windowScoreSchema),
    modelVersion: z.string().min(1),
    /** Decision threshold applied, and the site whose calibration made the decision, if any. */
    threshold: z.number().min(0).max(1).optional(),
    site: z.string().min(1).optional(),
    /** The site calibration applied (absent: the model's own decision). */
    calibrationId: z.uuid().optional(),
    latencyMs: z.number().nonnegative(),
  }),
  z.object({
    status: z.literal('failed'),
    predictionId: z.uuid().optional(),
    error: predictionErrorSchema,
    modelVersion: z.string().min(1).optional(),
    latencyMs: z.number().nonnegative().optional(),
  }),
]);

export const trainingJobSchema = z.object({
  schemaVersion,
  /** The training_runs row this job executes. */
  runId: z.uuid(),
  kind: z.enum(['retrain', 'calibration']).default('retrain'),
  /** Hyper-parameters and data selection (epochs, learning rate, site...), passed to the model lib. */
  params: z.record(z.string(), z.unknown()).default({}),
  requestedAt: z.iso.datetime({ offset: true }).optional(),
  traceContext,
});

export const trainingResultSchema = z.object({
  runId: z.uuid(),
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  /** The candidate version registered by the run, if it got that far. */
  modelVersion: z.string().min(1).optional(),
  metrics: z.record(z.string(), z.unknown()).optional(),
  error: z.string().optional(),
});

export const deadLetterJobSchema = z.object({
  queue: z.string(),
  jobId: z.string(),
  jobName: z.string(),
  payload: z.unknown(),
  failedReason: z.string(),
  attemptsMade: z.number().int().nonnegative(),
  failedAt: z.iso.datetime({ offset: true }),
});

export const modelPromotedEventSchema = z.object({
  schemaVersion,
  version: z.string().min(1),
  previousVersion: z.string().min(1).optional(),
  /** Object-storage keys of the version's artifacts by format (onnx, tfjs, card...). */
  artifactKeys: z.record(z.string(), z.string()),
  promotedAt: z.iso.datetime({ offset: true }),
});

export type PredictionJob = z.output<typeof predictionJobSchema>;
export type PredictionJobInput = z.input<typeof predictionJobSchema>;
export type PredictionResult = z.output<typeof predictionResultSchema>;
export type PredictionError = z.output<typeof predictionErrorSchema>;
export type WindowScore = z.output<typeof windowScoreSchema>;
export type TrainingJob = z.output<typeof trainingJobSchema>;
export type TrainingJobInput = z.input<typeof trainingJobSchema>;
export type TrainingResult = z.output<typeof trainingResultSchema>;
export type DeadLetterJob = z.output<typeof deadLetterJobSchema>;
export type ModelPromotedEvent = z.output<typeof modelPromotedEventSchema>;
export type ModelPromotedEventInput = z.input<typeof modelPromotedEventSchema>;

/** Payload and result schema of each work queue; workers and producers look them up by queue name. */
export const JOB_CONTRACTS = {
  [QUEUE_NAMES.predictions]: { payload: predictionJobSchema, result: predictionResultSchema },
  [QUEUE_NAMES.training]: { payload: trainingJobSchema, result: trainingResultSchema },
  [QUEUE_NAMES.deadLetter]: { payload: deadLetterJobSchema, result: z.void() },
} as const;

export type JobQueueName = keyof typeof JOB_CONTRACTS;
export type JobPayload<N extends JobQueueName> = z.output<(typeof JOB_CONTRACTS)[N]['payload']>;
export type JobPayloadInput<N extends JobQueueName> = z.input<(typeof JOB_CONTRACTS)[N]['payload']>;
export type JobResult<N extends JobQueueName> = z.output<(typeof JOB_CONTRACTS)[N]['result']>;

/** Parses a message received on MODEL_PROMOTED_CHANNEL; throws a readable error when malformed. */
export function parseModelPromotedEvent(message: string): ModelPromotedEvent {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    throw new Error(`Model-promoted event is not JSON: ${message.slice(0, 200)}`);
  }
  const parsed = modelPromotedEventSchema.safeParse(json);
  if (!parsed.success) throw new Error(`Invalid model-promoted event: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** `params` of a retrain job: the training hyper-parameters the worker passes to the model lib. */
export const retrainParamsSchema = z
  .object({
    seed: z.number().int().optional(),
    epochs: z.number().int().min(1).max(500).optional(),
    windowsPerEpoch: z.number().int().min(1).max(1_000_000).optional(),
    batchSize: z.number().int().min(1).max(1024).optional(),
    learningRate: z.number().positive().max(1).optional(),
    finalLearningRate: z.number().positive().max(1).optional(),
    patience: z.number().int().min(1).optional(),
    maxMinutes: z.number().positive().optional(),
    /** Network width per conv block; small values make quick test runs. */
    blockFilters: z.array(z.number().int().min(1).max(512)).min(1).max(8).optional(),
    /** How the decision threshold is chosen on the evaluation split (default pooled-macc). */
    thresholdRule: z.enum(['pooled-macc', 'site-balanced-macc']).optional(),
  })
  .strict();

/**
 * `params` of a calibration job: which site, and how its threshold keeps sensitivity (every one of
 * the site's labelled recordings is used for the decision).
 */
export const siteCalibrationParamsSchema = z
  .object({
    site: siteName,
    /** How far below the model's validation sensitivity the site's local sensitivity may go. */
    sensitivityMargin: z.number().min(0).max(0.5).default(0.05),
    /** Standard errors of room the threshold keeps above that target, for the local counts. */
    confidenceZ: z.number().min(0).max(3).default(1),
  })
  .strict();

export type RetrainParams = z.output<typeof retrainParamsSchema>;
export type SiteCalibrationParams = z.output<typeof siteCalibrationParamsSchema>;
