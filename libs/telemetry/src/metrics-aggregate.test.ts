import { describe, expect, it } from 'vitest';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { aggregateMetrics } from './metrics-aggregate';
import { createMetricsRegistry } from './metrics-registry';

function workerRegistry(jobs: number, seconds: number[], version: string): Registry {
  const registry = createMetricsRegistry({ service: 'inference-worker', defaultMetrics: false });
  new Counter({ name: 'jobs_total', help: 'jobs', registers: [registry] }).inc(jobs);
  const histogram = new Histogram({
    name: 'job_seconds',
    help: 'seconds',
    buckets: [0.1, 1],
    registers: [registry],
  });
  for (const value of seconds) histogram.observe(value);
  new Gauge({
    name: 'model_info',
    help: 'served',
    labelNames: ['version'],
    aggregator: 'max',
    registers: [registry],
  }).set({ version }, 1);
  return registry;
}

describe('aggregateMetrics', () => {
  it('adds counters and histogram buckets across processes and keeps the service label', async () => {
    const first = await workerRegistry(3, [0.05, 0.5], '1.2.0').getMetricsAsJSON();
    const second = await workerRegistry(4, [2], '1.2.0').getMetricsAsJSON();
    const text = await aggregateMetrics([first, second]).metrics();
    expect(text).toContain('jobs_total{service="inference-worker"} 7');
    expect(text).toContain('job_seconds_bucket{le="0.1",service="inference-worker"} 1');
    expect(text).toContain('job_seconds_bucket{le="+Inf",service="inference-worker"} 3');
    expect(text).toContain('job_seconds_count{service="inference-worker"} 3');
  });

  it('combines a gauge by its own aggregator: the served model is 1, not one per process', async () => {
    const text = await aggregateMetrics([
      await workerRegistry(0, [], '1.2.0').getMetricsAsJSON(),
      await workerRegistry(0, [], '1.2.0').getMetricsAsJSON(),
      await workerRegistry(0, [], '1.3.0').getMetricsAsJSON(),
    ]).metrics();
    expect(text).toContain('model_info{version="1.2.0",service="inference-worker"} 1');
    expect(text).toContain('model_info{version="1.3.0",service="inference-worker"} 1');
  });

  it('serves an empty exposition when no process answered', async () => {
    expect(await aggregateMetrics([]).metrics()).toBe('\n');
  });
});
