import { describe, expect, it, vi } from 'vitest';
import type { Config } from '@heartbeat/config';
import type { TrainingRun } from '@heartbeat/db';
import type { TrainingInfrastructure } from './training.infrastructure';
import { TrainingService } from './training.service';

const config = { gateway: { maxBatchFiles: 10, maxUploadBytes: 1_000 } } as unknown as Config;

function infrastructure({ queueDown = false } = {}) {
  const created = {
    id: '00000000-0000-4000-8000-000000000001',
    kind: 'retrain',
    status: 'queued',
    log: '',
    progress: 0,
    createdAt: new Date(),
  } as TrainingRun;
  const infra = {
    prefix: 'test',
    redis: { set: vi.fn(async () => 'OK'), del: vi.fn(async () => 1) },
    runs: {
      findActive: vi.fn(async () => undefined),
      create: vi.fn(async () => created),
      finish: vi.fn(async () => ({ ...created, status: 'failed' })),
    },
    queue: {
      add: vi.fn(async () => {
        if (queueDown) throw new Error('Reached the max retries per request limit');
        return {};
      }),
    },
    audit: { record: vi.fn(async () => undefined) },
  };
  return { infra, created, service: new TrainingService(infra as unknown as TrainingInfrastructure, config) };
}

describe('TrainingService.startRetrain', () => {
  it('queues the run it creates under the run id', async () => {
    const { service, infra, created } = infrastructure();

    expect(await service.startRetrain({})).toMatchObject({ id: created.id, status: 'queued' });
    expect(infra.queue.add).toHaveBeenCalledWith(
      expect.objectContaining({ runId: created.id, kind: 'retrain' }),
      { jobId: created.id },
    );
    expect(infra.runs.finish).not.toHaveBeenCalled();
  });

  it('fails the run it created when the queue cannot take it, so it does not block every later start', async () => {
    const { service, infra, created } = infrastructure({ queueDown: true });

    await expect(service.startRetrain({})).rejects.toThrow('Reached the max retries per request limit');
    expect(infra.runs.finish).toHaveBeenCalledWith(created.id, 'failed', {
      error: 'The training queue could not be reached, so the run never started; start it again.',
    });
    expect(infra.redis.del).toHaveBeenCalledWith('test:training:start-lock');
  });
});
