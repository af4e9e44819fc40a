export * from './contracts';
export {
  createQueue,
  createWorker,
  DEFAULT_HOLD_ON_UNAVAILABLE_MS,
  DEFAULT_JOB_OPTIONS,
  DependencyUnavailableError,
  InvalidJobPayloadError,
  isQueueUnavailable,
  JobDeferredError,
  JobFailedError,
  JobQueue,
  JobTimeoutError,
  JobWorker,
  type JobProcessor,
  type QueueConnection,
  type WorkerOptions,
} from './queues';
export {
  LONE_JOB_MARK_TTL_MS,
  loneJobKey,
  LoneJobMarks,
  StalledJobReclaimer,
  type ReclaimedJobs,
} from './stalled-job-reclaimer';
export {
  listLiveWorkers,
  workerPresenceKey,
  workerPresenceSchema,
  WorkerPresencePublisher,
  WORKER_PRESENCE_REFRESH_MS,
  WORKER_PRESENCE_TTL_MS,
  type WorkerPresence,
  type WorkerPresenceOptions,
  type WorkerState,
} from './worker-presence';
export {
  isTrainingCancelRequested,
  isTrainingRunLeased,
  requestTrainingCancel,
  trainingCancelKey,
  trainingLeaseKey,
  TRAINING_CANCEL_TTL_MS,
  TRAINING_LEASE_TTL_MS,
  type TrainingControlStore,
} from './training-control';
export {
  BATCH_HANDOFF_TTL_MS,
  RecordingHandoff,
  recordingHandoffKey,
  RECORDING_HANDOFF_BUDGET_BYTES,
  RECORDING_HANDOFF_MAX_BYTES,
  RECORDING_HANDOFF_TTL_MS,
} from './recording-handoff';
export {
  bullConnection,
  connectRedis,
  isCluster,
  queueConnectionOf,
  redisUrlOptions,
  type RedisNode,
  type RedisTopology,
} from './redis-connection';
