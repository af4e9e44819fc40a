import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { GatewayMetrics } from './gateway-metrics';

async function serve(metrics: GatewayMetrics, exercise: (base: string) => Promise<void>): Promise<void> {
  const app = express();
  app.use(metrics.httpMiddleware());
  const router = express.Router();
  router.get('/batches/:id', (_request, response) => void response.json({ ok: true }));
  app.use('/api/v1', router);
  app.post('/predict', (_request, response) => void response.status(413).json({ code: 'FILE_TOO_LARGE' }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    await exercise(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('GatewayMetrics', () => {
  it('counts requests under their route template, method and status, and times them', async () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    await serve(metrics, async (base) => {
      await fetch(`${base}/api/v1/batches/1`);
      await fetch(`${base}/api/v1/batches/2`);
      await fetch(`${base}/predict`, { method: 'POST' });
      await fetch(`${base}/nowhere`);
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      'heartbeat_gateway_http_requests_total{route="/api/v1/batches/:id",method="GET",status="200",service="gateway"} 2',
    );
    expect(text).toContain(
      'heartbeat_gateway_http_requests_total{route="/predict",method="POST",status="413",service="gateway"} 1',
    );
    expect(text).toContain(
      'heartbeat_gateway_http_requests_total{route="unmatched",method="GET",status="404",service="gateway"} 1',
    );
    expect(text).toContain(
      'heartbeat_gateway_http_request_duration_seconds_count{service="gateway",route="/api/v1/batches/:id",method="GET"} 2',
    );
  });

  it('reads the queue depth when scraped', async () => {
    let waiting = 3;
    const metrics = new GatewayMetrics({
      defaultMetrics: false,
      queueDepth: async () => ({ waiting, active: 2, delayed: 0 }),
    });
    expect(await metrics.registry.metrics()).toContain(
      'heartbeat_gateway_queue_jobs{state="waiting",service="gateway"} 3',
    );
    waiting = 0;
    const text = await metrics.registry.metrics();
    expect(text).toContain('heartbeat_gateway_queue_jobs{state="waiting",service="gateway"} 0');
    expect(text).toContain('heartbeat_gateway_queue_jobs{state="active",service="gateway"} 2');
  });

  it("reads the oldest waiting job's age and the dead-letter queue once per scrape", async () => {
    let reads = 0;
    const metrics = new GatewayMetrics({
      defaultMetrics: false,
      queueBacklog: async () => {
        reads += 1;
        return { oldestWaitingAgeSeconds: 42.5, deadLetterJobs: 3 };
      },
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('heartbeat_gateway_queue_oldest_waiting_job_age_seconds{service="gateway"} 42.5');
    expect(text).toContain('heartbeat_gateway_dead_letter_jobs{service="gateway"} 3');
    expect(reads).toBe(1);
  });
});
