import { describe, expect, it, vi } from 'vitest';
import type { Config } from '@heartbeat/config';
import type { TrainingRun } from '@heartbeat/db';
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
    runs: {
      findActive: vi.fn(async () => undefined),
      create: vi.fn(async () => created),
      finish: vi.fn(async () => ({ ...created, status: 'failed' })),
    },
    queue: {
      tryLockStart: vi.fn(async () => true),
      releaseStartLock: vi.fn(async () => undefined),
      enqueue: vi.fn(async () => {
        if (queueDown) throw new Error('Reached the max retries per request limit');
      }),
    },
    audit: { record: vi.fn(async () => undefined) },
  };
  const unused = {} as never;
  const service = new TrainingService(
    infra.runs as never,
    unused,
    unused,
    infra.audit as never,
    unused,
    unused,
    infra.queue as never,
    unused,
    config,
  );
  return { infra, created, service };
}

describe('TrainingService.startRetrain', () => {
  it('queues the run it creates under the run id', async () => {
    const { service, infra, created } = infrastructure();

    expect(await service.startRetrain({})).toMatchObject({ id: created.id, status: 'queued' });
    expect(infra.queue.enqueue).toHaveBeenCalledWith(
      expect.objectContaining({ runId: created.id, kind: 'retrain' }),
    );
    expect(infra.runs.finish).not.toHaveBeenCalled();
  });

  it('fails the run it created when the queue cannot take it, so it does not block every later start', async () => {
    const { service, infra, created } = infrastructure({ queueDown: true });

    await expect(service.startRetrain({})).rejects.toThrow('Reached the max retries per request limit');
    expect(infra.runs.finish).toHaveBeenCalledWith(created.id, 'failed', {
      error: 'The training queue could not be reached, so the run never started; start it again.',
    });
    expect(infra.queue.releaseStartLock).toHaveBeenCalled();
  });
});
