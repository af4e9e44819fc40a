import { Counter } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetricsRegistry } from './metrics-registry';
import { startTelemetryServer, type TelemetryServer, type TelemetryServerOptions } from './telemetry-server';

describe('telemetry server', () => {
  let server: TelemetryServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(options: Partial<TelemetryServerOptions> = {}): Promise<string> {
    server = await startTelemetryServer({
      service: 'test-service',
      port: 0,
      host: '127.0.0.1',
      registry: createMetricsRegistry({ service: 'test-service' }),
      ...options,
    });
    return `http://127.0.0.1:${server.port}`;
  }

  it('serves the registry in Prometheus exposition format with the service label', async () => {
    const registry = createMetricsRegistry({ service: 'test-service' });
    new Counter({ name: 'heartbeat_things_total', help: 'Things.', registers: [registry] }).inc(3);
    const base = await start({ registry });
    const response = await fetch(`${base}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain('heartbeat_things_total{service="test-service"} 3');
    expect(text).toContain('process_cpu_user_seconds_total{service="test-service"}');
  });

  it('serves readiness as the heartbeat_ready gauge, 1 while ready and 0 while not', async () => {
    let ready = true;
    const base = await start({ ready: () => ({ ready }) });
    expect(await (await fetch(`${base}/metrics`)).text()).toContain(
      'heartbeat_ready{service="test-service"} 1\n',
    );
    ready = false;
    expect(await (await fetch(`${base}/metrics`)).text()).toContain(
      'heartbeat_ready{service="test-service"} 0\n',
    );
  });

  it('answers liveness with 200 while the service is alive and 503 when it says it is not', async () => {
    let alive = true;
    const base = await start({ live: () => alive });
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    alive = false;
    const response = await fetch(`${base}/health/live`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 'unhealthy', service: 'test-service' });
  });

  it('keeps /health as an alias of liveness for container health checks', async () => {
    const base = await start();
    const response = await fetch(`${base}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', service: 'test-service' });
  });

  it('answers readiness from the callback, with its checks, 503 when not ready', async () => {
    let ready = false;
    const base = await start({ ready: async () => ({ ready, checks: { model: ready ? '1.0.0' : null } }) });
    const notReady = await fetch(`${base}/health/ready`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ status: 'not_ready', checks: { model: null } });
    ready = true;
    const nowReady = await fetch(`${base}/health/ready`);
    expect(nowReady.status).toBe(200);
    expect(await nowReady.json()).toMatchObject({ status: 'ready', checks: { model: '1.0.0' } });
  });

  it('turns a failing readiness callback into a 500 with a code instead of crashing', async () => {
    const base = await start({
      ready: () => {
        throw new Error('redis exploded');
      },
    });
    const response = await fetch(`${base}/health/ready`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ code: 'INTERNAL', message: 'redis exploded' });
  });

  it('answers unknown paths with 404 and a code naming the real routes', async () => {
    const base = await start();
    const response = await fetch(`${base}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('/metrics'),
    });
  });
});
