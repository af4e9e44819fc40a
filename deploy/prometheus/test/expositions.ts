// Each service's /metrics exposition, rendered from its registry built the way the service builds
// it, with a value in every metric so histograms and labelled series appear. Shared by the metric-name
// and dashboard tests.
import {
  aggregateMetrics,
  createMetricsRegistry,
  readinessExposition,
  silentLogger,
  type Registry,
} from '@heartbeat/telemetry';
import { GatewayMetrics } from '../../../apps/gateway/src/telemetry/gateway-metrics';
import { InferenceMetrics } from '../../../apps/inference-worker/src/inference-metrics';
import { WorkerSupervisor } from '../../../apps/inference-worker/src/worker-supervisor';
import { TrainingMetrics } from '../../../apps/training-worker/src/training-metrics';

export async function gatewayExposition(): Promise<string> {
  const metrics = new GatewayMetrics({
    queueDepth: async () => ({ waiting: 2, active: 1, delayed: 0 }),
    queueBacklog: async () => ({ oldestWaitingAgeSeconds: 12.5, deadLetterJobs: 1 }),
  });
  metrics.httpRequests.inc({ route: '/predict', method: 'POST', status: '200' });
  metrics.httpRequestDuration.observe({ route: '/predict', method: 'POST' }, 0.03);
  metrics.uploadedBytes.inc(1000);
  metrics.uploadedFiles.inc({ outcome: 'stored' });
  metrics.batchesCreated.inc();
  metrics.predictionsQueued.inc({ source: 'predict' });
  metrics.staleBatchesEnded.inc();
  metrics.predictionsRequeued.inc();
  metrics.dependencyErrors.inc({ dependency: 's3', operation: 'POST /predict' });
  return `${await metrics.registry.metrics()}${readinessExposition('gateway', true)}`;
}

export async function inferenceExposition(): Promise<string> {
  // The supervisor's registry, as the worker's metrics port serves it (its own metrics plus one process's).
  const supervisorRegistry = createMetricsRegistry({ service: 'inference-worker' });
  new WorkerSupervisor({
    processes: 1,
    spawn: () => {
      throw new Error('not started');
    },
    logger: silentLogger(),
    registry: supervisorRegistry,
    stopTimeoutMs: 1000,
  });
  const processRegistry: Registry = createMetricsRegistry({ service: 'inference-worker' });
  const metrics = new InferenceMetrics(processRegistry, () => 1);
  metrics.jobFinished('succeeded', 0.2);
  metrics.batchRan({ windows: 8, requests: 2, durationMs: 12 });
  metrics.serving('1.6.0', 'onnxruntime-cpu', true);
  metrics.recordingReads.inc({ source: 'handoff' });
  metrics.jobStarted({ queuedAt: Date.now() - 50, attempt: 1 });
  metrics.modelLoaded('initial', 1.5);
  metrics.answered({ status: 'succeeded', label: 'abnormal', modelVersion: '1.6.0' });
  metrics.dependencyFailed('postgres', 'prediction.save');
  const aggregate = aggregateMetrics([
    await supervisorRegistry.getMetricsAsJSON(),
    await processRegistry.getMetricsAsJSON(),
  ]);
  return `${await aggregate.metrics()}${readinessExposition('inference-worker', true)}`;
}

export async function trainingExposition(): Promise<string> {
  const registry = createMetricsRegistry({ service: 'training-worker' });
  const metrics = new TrainingMetrics(registry);
  metrics.runStarted();
  metrics.progressed(0.4, { epoch: 3, epochs: 10, loss: 0.41, validationAuc: 0.9, validationMacc: 0.85 });
  metrics.runFinished('succeeded');
  return `${await registry.metrics()}${readinessExposition('training-worker', true)}`;
}

export const EXPOSITIONS = {
  gateway: gatewayExposition,
  'inference worker': inferenceExposition,
  'training worker': trainingExposition,
};
