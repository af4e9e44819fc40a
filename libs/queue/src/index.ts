export * from './contracts';
export {
  createQueue,
  createWorker,
  enqueuePrediction,
  enqueueTraining,
  DEFAULT_JOB_OPTIONS,
  InvalidJobPayloadError,
  JobFailedError,
  JobQueue,
  JobTimeoutError,
  JobWorker,
  type JobProcessor,
  type QueueConnection,
  type WorkerOptions,
} from './queues';
