// The inference worker's Prometheus metrics: job outcomes, latency and time spent waiting in the
// queue, dynamic-batch sizes, the model version and backend being served, model load times, the
// jobs in flight, and dependency failures by job step.
import {
  Counter,
  createDependencyErrorCounter,
  Gauge,
  Histogram,
  type Dependency,
  type Registry,
} from '@heartbeat/telemetry';
import type { JobOutcome } from './prediction-processor';

export class InferenceMetrics {
  readonly jobs: Counter<'outcome'>;
  readonly jobDuration: Histogram<'outcome'>;
  readonly batchWindows: Histogram;
  readonly batchRequests: Histogram;
  readonly batchDuration: Histogram;
  readonly modelInfo: Gauge<'version' | 'backend'>;
  readonly modelSwaps: Counter;
  readonly inFlight: Gauge;
  readonly recordingReads: Counter<'source'>;
  readonly jobWait: Histogram;
  readonly predictions: Counter<'label' | 'model_version'>;
  readonly modelLoad: Histogram<'kind'>;
  readonly dependencyErrors: Counter<'dependency' | 'operation'>;

  constructor(registry: Registry, inFlight: () => number) {
    const registers = [registry];
    this.jobs = new Counter({
      name: 'heartbeat_inference_jobs_total',
      help: 'Prediction job attempts by outcome: succeeded, rejected (bad input, not retried), error (retried) or held (S3 or the database out of reach: back to the queue, no attempt spent).',
      labelNames: ['outcome'],
      registers,
    });
    this.jobDuration = new Histogram({
      name: 'heartbeat_inference_job_duration_seconds',
      help: 'Time from picking up a prediction job to its outcome (download, decode, features, model, database).',
      labelNames: ['outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.batchWindows = new Histogram({
      name: 'heartbeat_inference_batch_windows',
      help: 'Windows per model call made by the dynamic batcher.',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers,
    });
    this.batchRequests = new Histogram({
      name: 'heartbeat_inference_batch_requests',
      help: 'Recordings sharing one model call.',
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers,
    });
    this.batchDuration = new Histogram({
      name: 'heartbeat_inference_batch_duration_seconds',
      help: 'Duration of one model call.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.modelInfo = new Gauge({
      name: 'heartbeat_model_info',
      help: 'The model version this worker serves (value 1) and the runtime/device serving it.',
      labelNames: ['version', 'backend'],
      // Several worker processes behind one metrics port serve the same version: still 1, not one per process.
      aggregator: 'max',
      registers,
    });
    this.recordingReads = new Counter({
      name: 'heartbeat_inference_recording_reads_total',
      help: "Recordings read by source: 'handoff' (bytes the gateway passed through Redis) or 'storage' (S3).",
      labelNames: ['source'],
      registers,
    });
    this.modelSwaps = new Counter({
      name: 'heartbeat_model_swaps_total',
      help: 'Hot swaps to a newly promoted model version.',
      registers,
    });
    this.inFlight = new Gauge({
      name: 'heartbeat_inference_in_flight_jobs',
      help: 'Prediction jobs being processed right now.',
      registers,
      collect() {
        this.set(inFlight());
      },
    });
    this.jobWait = new Histogram({
      name: 'heartbeat_inference_job_wait_seconds',
      help: 'Time a prediction job waited in the queue, from being queued to a worker starting it (first attempts).',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    });
    this.modelLoad = new Histogram({
      name: 'heartbeat_model_load_duration_seconds',
      help: "Time to fetch and load a model version until it serves: 'initial' at start-up, 'swap' for a newly promoted version.",
      labelNames: ['kind'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    this.dependencyErrors = createDependencyErrorCounter(registry);
    this.predictions = new Counter({
      name: 'heartbeat_inference_predictions_total',
      help: 'Recordings screened, by label (normal, abnormal, unsure) and model version.',
      labelNames: ['label', 'model_version'],
      registers,
    });
    for (const outcome of ['succeeded', 'rejected', 'error'] satisfies JobOutcome[])
      this.jobs.inc({ outcome }, 0);
  }

  /** A job started: `queuedAt` is when it was queued (ms since the epoch); retries are not counted as waits. */
  jobStarted({ queuedAt, attempt }: { queuedAt: number; attempt: number }, now = Date.now()): void {
    if (attempt === 1) this.jobWait.observe(Math.max(0, (now - queuedAt) / 1000));
  }

  /** A job's answer: a screened recording counts under its label; a rejected one under `rejected`. */
  answered(
    result:
      | { status: 'succeeded'; label: string; modelVersion: string }
      | { status: 'failed'; modelVersion?: string },
  ): void {
    this.predictions.inc({
      label: result.status === 'succeeded' ? result.label : 'rejected',
      model_version: result.modelVersion ?? 'none',
    });
  }

  modelLoaded(kind: 'initial' | 'swap', seconds: number): void {
    this.modelLoad.observe({ kind }, seconds);
  }

  dependencyFailed(dependency: Dependency, operation: string): void {
    this.dependencyErrors.inc({ dependency, operation });
  }

  jobFinished(outcome: JobOutcome, seconds: number): void {
    this.jobs.inc({ outcome });
    this.jobDuration.observe({ outcome }, seconds);
  }

  batchRan({
    windows,
    requests,
    durationMs,
  }: {
    windows: number;
    requests: number;
    durationMs: number;
  }): void {
    this.batchWindows.observe(windows);
    this.batchRequests.observe(requests);
    this.batchDuration.observe(durationMs / 1000);
  }

  serving(version: string, backend: string, swapped: boolean): void {
    this.modelInfo.reset();
    this.modelInfo.set({ version, backend }, 1);
    if (swapped) this.modelSwaps.inc();
  }
}
