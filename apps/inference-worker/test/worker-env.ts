// Environment of an inference worker started by an integration test: the run's database, Redis and
// S3 server, its own queue namespace under the run's prefix (removed by the global teardown), an
// ephemeral metrics port, a model cache in the test's folder, and no logs.
import path from 'node:path';

export function workerTestEnv(
  integrationEnv: Record<string, string>,
  {
    queue,
    workerId,
    workDir,
    concurrency = 4,
  }: { queue: string; workerId: string; workDir: string; concurrency?: number },
): Record<string, string> {
  return {
    ...integrationEnv,
    QUEUE_PREFIX: `${integrationEnv.QUEUE_PREFIX}:${queue}`,
    INFERENCE_WORKER_METRICS_PORT: '0',
    INFERENCE_MODEL_CACHE_DIR: path.join(workDir, 'cache'),
    INFERENCE_CONCURRENCY: String(concurrency),
    INFERENCE_WORKER_ID: workerId,
    MODEL_POLL_INTERVAL_MS: '60000',
    LOG_LEVEL: 'silent',
  };
}
