import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '@heartbeat/telemetry';
import { reportingProgressTo, TrainingMetrics } from './training-metrics';

describe('TrainingMetrics', () => {
  it("shows an epoch report's epoch, loss and validation figures, and when the run last moved", async () => {
    const registry = createMetricsRegistry({ service: 'training-worker', defaultMetrics: false });
    let now = 1_000_000;
    const metrics = new TrainingMetrics(registry, () => now);
    const reported: unknown[] = [];
    const runs = reportingProgressTo(
      {
        prefix: 'run-',
        async reportProgress(id: string, progress: number, _extra?: unknown) {
          reported.push([`${this.prefix}${id}`, progress]);
        },
      },
      metrics,
    );
    metrics.runStarted();
    now += 30_000;
    await runs.reportProgress('1', 0.5, {
      metrics: { epoch: 4, epochs: 12, loss: 0.3125, validationAuc: 0.91, validationMacc: 0.84 },
    });
    expect(reported).toEqual([['run-1', 0.5]]);
    const text = await registry.metrics();
    expect(text).toContain('heartbeat_training_run_active{service="training-worker"} 1');
    expect(text).toContain('heartbeat_training_progress_ratio{service="training-worker"} 0.5');
    expect(text).toContain('heartbeat_training_epoch{service="training-worker"} 4');
    expect(text).toContain('heartbeat_training_epochs{service="training-worker"} 12');
    expect(text).toContain('heartbeat_training_loss{service="training-worker"} 0.3125');
    expect(text).toContain('heartbeat_training_validation_auc{service="training-worker"} 0.91');
    expect(text).toContain('heartbeat_training_validation_macc{service="training-worker"} 0.84');
    expect(text).toContain(
      'heartbeat_training_last_progress_timestamp_seconds{service="training-worker"} 1030',
    );
  });

  it('counts a finished run by status and goes back to idle', async () => {
    const registry = createMetricsRegistry({ service: 'training-worker', defaultMetrics: false });
    const metrics = new TrainingMetrics(registry);
    metrics.runStarted();
    metrics.runFinished('failed');
    const text = await registry.metrics();
    expect(text).toContain('heartbeat_training_runs_total{status="failed",service="training-worker"} 1');
    expect(text).toContain('heartbeat_training_run_active{service="training-worker"} 0');
  });
});

describe('dependency errors in a training run', () => {
  it('are counted by dependency and by the step that met them', async () => {
    const registry = createMetricsRegistry({ service: 'training-worker', defaultMetrics: false });
    const metrics = new TrainingMetrics(registry);
    metrics.dependencyFailed('s3', 'reading the checkpoint');
    metrics.dependencyFailed('s3', 'reading the checkpoint');
    expect(await registry.metrics()).toContain(
      'heartbeat_dependency_errors_total{dependency="s3",operation="reading the checkpoint",service="training-worker"} 2',
    );
  });
});
