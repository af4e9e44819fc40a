// Wires the inference worker together over its connections (worker-connections.ts): registry ->
// promoted model -> prediction jobs, plus the hot swap, presence, probes and metrics. Everything with
// logic lives in the libs or in PredictionProcessor; this file only connects them and orders start-up
// and shutdown.
import { hostname } from 'node:os';
import type { Config } from '@heartbeat/config';
import {
  GroupCommit,
  isDatabaseUnavailable,
  ScreeningRepository,
  type PredictionOutcome,
} from '@heartbeat/db';
import {
  createClassifierLoader,
  ModelHost,
  ModelRegistry,
  PromotionWatcher,
} from '@heartbeat/model-registry';
import {
  createWorker,
  JobDeferredError,
  QUEUE_NAMES,
  SITE_CALIBRATION_CHANGED_CHANNEL,
  WorkerPresencePublisher,
  type JobWorker,
} from '@heartbeat/queue';
import { StorageUnavailableError } from '@heartbeat/storage';
import {
  createLogger,
  createMetricsRegistry,
  startTelemetryServer,
  type Logger,
  type MetricsSnapshot,
  type ReadinessReport,
  type TelemetryServer,
} from '@heartbeat/telemetry';
import { failAbandonedPrediction } from './abandoned-jobs';
import { CrashIsolation } from './crash-isolation';
import { InferenceMetrics } from './inference-metrics';
import { PredictionProcessor } from './prediction-processor';
import { RecordingSource } from './recording-source';
import { SiteDecisions } from './site-decisions';
import { connectInferenceWorker, type InferenceWorkerConnections } from './worker-connections';

export const SERVICE = 'inference-worker';
/** How long a job handed back while another runs alone stays away (a recording takes ~10-50 ms). */
const LONE_JOB_DEFERRAL_MS = 250;

export interface InferenceWorkerOptions {
  config: Config;
  logger?: Logger;
  /** Shipped model versions to register on a fresh installation; default the repository's models/. */
  bundledModelsRoot?: string;
  /**
   * Serve metrics and probes on the configured metrics port (default). A process run by the worker
   * supervisor does not: the supervisor owns the port and asks each process for report() instead.
   */
  serveTelemetry?: boolean;
  /** Overrides the configured worker id (a supervised process is `<configured id>-<n>`). */
  workerId?: string;
  /** The external systems; by default connected from `config` (worker-connections.ts). Closed on stop. */
  connections?: InferenceWorkerConnections;
}

export interface RunningInferenceWorker {
  readonly workerId: string;
  /** The queue consumer's id, the owner of this process's job locks. */
  readonly consumerId: string;
  /** The metrics/probe port, when this process serves one. */
  readonly telemetryPort: number | undefined;
  readonly modelVersion: string | undefined;
  readonly backend: string | undefined;
  readonly inFlight: number;
  /** What the metrics port would serve right now: the metrics snapshot and the readiness report. */
  report(): Promise<{ metrics: MetricsSnapshot; readiness: ReadinessReport }>;
  /** Stops taking jobs, lets in-flight jobs finish (up to the shutdown timeout), releases everything. */
  stop(): Promise<void>;
}

export async function startInferenceWorker(options: InferenceWorkerOptions): Promise<RunningInferenceWorker> {
  const { config } = options;
  const settings = config.inferenceWorker;
  const workerId = options.workerId ?? settings.workerId ?? `${hostname()}-${process.pid}`;
  const logger = (options.logger ?? createLogger({ service: SERVICE, level: config.logLevel })).child({
    workerId,
  });
  const startedAt = new Date().toISOString();
  let ready = false;
  let stopping = false;

  const connections = options.connections ?? connectInferenceWorker(config, logger);
  const { storage, redis, subscriber, repositories } = connections;
  const registry = new ModelRegistry({
    modelVersions: repositories.modelVersions,
    artifacts: storage,
    publisher: redis,
    audit: repositories.audit,
    bundledModelsRoot: options.bundledModelsRoot,
    onWarning: (message, error) => logger.warn({ err: (error as Error | undefined)?.message }, message),
  });

  const siteDecisions = new SiteDecisions(repositories.sites);

  // Declared before use by the closures below; assigned as start-up proceeds.
  let processor: PredictionProcessor | undefined;
  let worker: JobWorker<typeof QUEUE_NAMES.predictions> | undefined;
  let telemetry: TelemetryServer | undefined;

  const metricsRegistry = createMetricsRegistry({ service: SERVICE });
  const metrics = new InferenceMetrics(metricsRegistry, () => processor?.inFlight ?? 0);
  const host = new ModelHost({
    materialise: (version) => registry.materialise(version, settings.modelCacheDir),
    loadClassifier: createClassifierLoader({
      runtime: config.model.backend,
      executionProvider: settings.executionProvider,
      threads: settings.threads,
    }),
    batching: {
      maxBatchSize: settings.maxBatchSize,
      maxWaitMs: settings.maxBatchWaitMs,
      onBatch: (batch) => metrics.batchRan(batch),
    },
    onSwap: (current, previous) => {
      metrics.serving(current.version, current.backend, previous !== undefined);
      logger.info(
        {
          modelVersion: current.version,
          previousVersion: previous?.version,
          backend: current.backend,
          gpuFallbackReason: current.gpuFallbackReason,
        },
        previous
          ? `Switched to model ${current.version} (${current.backend}); ${previous.version} retires when its jobs finish`
          : `Serving model ${current.version} on ${current.backend}`,
      );
      void presence.publish().catch(() => undefined);
    },
    onDisposeError: (error, model) =>
      logger.warn({ err: (error as Error).message }, `Could not dispose model ${model.version}`),
  });
  const presence = new WorkerPresencePublisher(
    redis,
    config.queue.prefix,
    () => ({
      workerId,
      modelVersion: host.current?.version,
      backend: host.current?.backend,
      ready: ready && !stopping,
      inFlight: processor?.inFlight ?? 0,
      startedAt,
    }),
    { onError: (error) => logger.warn({ err: error.message }, 'Could not refresh worker presence') },
  );
  const watcher = new PromotionWatcher({
    findPromoted: () => registry.findPromoted(),
    currentVersion: () => host.current?.version,
    onPromoted: async (version) => {
      const loading = performance.now();
      await host.load(version);
      metrics.modelLoaded('swap', (performance.now() - loading) / 1000);
    },
    subscriber,
    pollIntervalMs: settings.modelPollIntervalMs,
    onError: (error) =>
      logger.error({ err: (error as Error).message }, 'Could not switch to the promoted model; will retry'),
  });

  async function release(): Promise<void> {
    await Promise.allSettled([watcher.stop(), presence.stop()]);
    await host.close();
    await connections.close();
    await telemetry?.close();
  }

  const readiness = (): ReadinessReport => ({
    ready: ready && !stopping,
    checks: {
      modelVersion: host.current?.version ?? null,
      backend: host.current?.backend ?? null,
      inFlight: processor?.inFlight ?? 0,
    },
  });

  try {
    if (options.serveTelemetry !== false)
      telemetry = await startTelemetryServer({
        service: SERVICE,
        port: settings.metricsPort,
        registry: metricsRegistry,
        live: () => true,
        ready: readiness,
      });
    await storage.ensureBucket();
    // A new site calibration takes effect at once; the cache's expiry covers a missed announcement.
    subscriber.on('message', (channel: string, site: string) => {
      if (channel === SITE_CALIBRATION_CHANGED_CHANNEL) siteDecisions.invalidate(site);
    });
    await subscriber.subscribe(SITE_CALIBRATION_CHANGED_CHANNEL);
    const promoted = await registry.ensureBundledModelRegistered();
    const loading = performance.now();
    await host.load(promoted.version);
    metrics.modelLoaded('initial', (performance.now() - loading) / 1000);

    processor = new PredictionProcessor({
      recordings: new RecordingSource({
        handoff: connections.handoff,
        storage,
        onRead: (source) => metrics.recordingReads.inc({ source }),
        onHandoffError: (error) =>
          logger.warn({ err: error.message }, 'Recording handoff unreadable; reading storage'),
      }),
      screening: groupedOutcomes(repositories.screening),
      predictions: repositories.predictions,
      batches: repositories.batches,
      models: host,
      sites: siteDecisions,
      unavailableDependency: (error) =>
        error instanceof StorageUnavailableError
          ? 'Object storage'
          : isDatabaseUnavailable(error)
            ? 'The database'
            : undefined,
      onJobFinished: ({ outcome, seconds, modelVersion, error }) => {
        metrics.jobFinished(outcome, seconds);
        // One line per job, inside its trace (trace_id joins it to the request that queued it).
        if (outcome === 'succeeded')
          logger.info({ outcome, modelVersion, seconds }, 'Prediction job succeeded');
        // A held job is logged by onHold.
        else if (error && outcome !== 'held')
          logger[outcome === 'rejected' ? 'info' : 'warn'](
            { outcome, err: error.message },
            'Prediction job did not succeed',
          );
      },
    });
    const jobProcessor = processor;
    const isolation = new CrashIsolation();
    worker = createWorker(
      QUEUE_NAMES.predictions,
      async (payload, job) => {
        // A job that was in flight in a process that died runs alone (crash-isolation.ts), and no
        // other job waits in this process meanwhile.
        if (isolation.mustDefer())
          throw new JobDeferredError(LONE_JOB_DEFERRAL_MS, 'A job that was in a crash runs alone here');
        const alone = job.stalledCounter > 0;
        const result = await isolation.run(alone, () =>
          alone && worker && job.id !== undefined
            ? connections.loneJobs.whileRunning(worker.consumerId, job.id, () =>
                jobProcessor.process(payload, job),
              )
            : jobProcessor.process(payload, job),
        );
        metrics.answered(result);
        return result;
      },
      {
        connection: connections.queueConnection,
        concurrency: settings.concurrency,
        onError: (error) => logger.warn({ err: error.message }, 'Queue connection problem'),
        holdOnUnavailableMs: settings.dependencyHoldMs,
        onHold: (error, holdMs) => {
          metrics.dependencyFailed(
            error.dependency === 'Object storage' ? 's3' : 'postgres',
            'prediction job',
          );
          logger.warn(
            { err: error.message, holdMs },
            'A dependency is out of reach: job returned to the queue, which holds off before trying again',
          );
        },
        onJobStarted: (job) => metrics.jobStarted(job),
      },
    );
    // A job BullMQ fails for good before the processor runs again (a recording that crashed its
    // process past the stalled-job limit) still gets its prediction failed, so its batch finishes.
    const abandoned = repositories.screening;
    worker.worker.on('failed', (job, error) => {
      if (!job) return;
      failAbandonedPrediction(abandoned, job, error).then(
        (failed) => {
          if (failed)
            logger.warn(
              { jobId: job.id, err: error.message },
              'Prediction job failed for good without an outcome; its prediction is marked failed',
            );
        },
        (saveError: unknown) =>
          logger.warn(
            { jobId: job.id, err: (saveError as Error).message },
            'Could not mark the prediction of a job that failed for good',
          ),
      );
    });
    await worker.waitUntilReady();
    await watcher.start();
    ready = true;
    await presence.start();
  } catch (error) {
    await worker?.close().catch(() => undefined);
    await release().catch(() => undefined);
    throw error;
  }

  logger.info(
    {
      modelVersion: host.current?.version,
      backend: host.current?.backend,
      concurrency: settings.concurrency,
      port: telemetry?.port,
    },
    `HeartBeat ${SERVICE} ready: model ${host.current?.version} on ${host.current?.backend}, concurrency ${settings.concurrency}`,
  );

  const runningWorker = worker;
  let stopped: Promise<void> | undefined;
  return {
    workerId,
    consumerId: runningWorker.consumerId,
    telemetryPort: telemetry?.port,
    get modelVersion() {
      return host.current?.version;
    },
    get backend() {
      return host.current?.backend;
    },
    get inFlight() {
      return processor?.inFlight ?? 0;
    },
    async report() {
      return { metrics: await metricsRegistry.getMetricsAsJSON(), readiness: readiness() };
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        await presence.publish().catch(() => undefined);
        logger.info({ inFlight: processor?.inFlight ?? 0 }, 'Shutting down: finishing in-flight jobs');
        await closeWithin(runningWorker, config.inferenceWorker.shutdownTimeoutMs, logger);
        await release();
        logger.info('Stopped');
      })();
      return stopped;
    },
  };
}

/**
 * Successful outcomes go to the database in groups (GroupCommit): the jobs of one dynamic model batch
 * finish together, and their outcomes and batch counts become one UPDATE instead of one per job.
 * A job still completes only after its own row is written (at-least-once as before). Failures stay
 * one statement each (rare, and each carries its own code and message).
 */
function groupedOutcomes(
  screening: ScreeningRepository,
): Pick<ScreeningRepository, 'completePrediction' | 'failPrediction'> {
  const completions = new GroupCommit((items: { id: string; outcome: PredictionOutcome }[]) =>
    screening.completePredictions(items),
  );
  return {
    // The row's own batch is counted (the job's batchId names the same one).
    completePrediction: (id, _batchId, outcome) => completions.submit({ id, outcome }),
    failPrediction: (id, batchId, failure) => screening.failPrediction(id, batchId, failure),
  };
}

/** BullMQ's close waits for active jobs; past the timeout they are abandoned and BullMQ re-queues them as stalled. */
async function closeWithin(
  worker: JobWorker<'predictions'>,
  timeoutMs: number,
  logger: Logger,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>(
    (resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)),
  );
  const outcome = await Promise.race([worker.close().then(() => 'closed' as const), timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    logger.warn(
      { timeoutMs },
      'In-flight jobs did not finish in time; they will be retried by another worker',
    );
    await worker.worker.close(true);
  }
}
