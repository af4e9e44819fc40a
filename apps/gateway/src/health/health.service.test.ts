import { describe, expect, it } from 'vitest';
import { HealthService } from './health.service';

const worker = (ready: boolean) => ({
  workerId: 'w1',
  modelVersion: '1.0.0',
  backend: 'onnxruntime-cpu',
  ready,
  inFlight: 0,
  lastSeen: new Date().toISOString(),
});

function service({ db = true, redis = true, storage = true, workers = [worker(true)] } = {}) {
  return new HealthService(
    { ping: async () => db },
    { ping: async () => (redis ? 'PONG' : Promise.reject(new Error('down'))) } as never,
    { isReady: async () => storage },
    { list: async () => workers },
  );
}

describe('HealthService', () => {
  it('is ok when every dependency answers and a worker has the model loaded', async () => {
    expect(await service().report()).toMatchObject({
      status: 'ok',
      modelLoaded: true,
      model_loaded: true,
      modelVersions: ['1.0.0'],
    });
  });

  it('is degraded, yet ready, while no worker has a model loaded', async () => {
    const health = service({ workers: [worker(false)] });
    expect(await health.report()).toMatchObject({
      status: 'degraded',
      modelLoaded: false,
      checks: { model: 'down' },
    });
    expect((await health.readiness()).ready).toBe(true);
  });

  it('is down and not ready when Redis does not answer', async () => {
    const health = service({ redis: false });
    expect(await health.report()).toMatchObject({
      status: 'down',
      checks: { redis: 'down', database: 'up' },
    });
    expect(await health.readiness()).toMatchObject({ ready: false, checks: { redis: 'down' } });
  });
});
