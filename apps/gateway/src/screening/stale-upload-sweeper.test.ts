import { describe, expect, it, vi } from 'vitest';
import type { Batch, PendingCursor, PendingPrediction } from '@heartbeat/db';
import { UPLOAD_ABORTED } from './batch-intake';
import {
  StaleUploadSweeper,
  STALE_UPLOAD_MESSAGE,
  type StaleUploadSweeperDependencies,
} from './stale-upload-sweeper';

const batch = (id: string) => ({ id, status: 'receiving' }) as Batch;

function sweeper(options: {
  stale: Batch[];
  lostToAnotherGateway?: string[];
  pending: Record<string, string[]>;
  /** Pending predictions to screen, oldest first (listPendingToScreen pages through them). */
  toScreen?: PendingPrediction[];
  pageSize?: number;
  waiting: string[];
  withJob: string[];
  /** Redis is out: every queue call throws. */
  redisDown?: boolean;
}) {
  const redis = <T>(work: () => T): T => {
    if (options.redisDown) throw new Error('Connection is closed.');
    return work();
  };
  const deps = {
    batches: {
      listStaleReceiving: vi.fn(async () => options.stale),
      abandonReceiving: vi.fn(async (id: string) =>
        options.lostToAnotherGateway?.includes(id) ? undefined : { ...batch(id), status: 'failed' as const },
      ),
    },
    predictions: {
      listPendingIds: vi.fn(async (batchId: string) => options.pending[batchId] ?? []),
      listPendingToScreen: vi.fn(
        async (_before: Date, { after, limit = 500 }: { after?: PendingCursor; limit?: number } = {}) => {
          const rows = options.toScreen ?? [];
          const start = after ? rows.findIndex((row) => row.id === after.id) + 1 : 0;
          return rows.slice(start, start + limit);
        },
      ),
    },
    outcomes: {
      failPrediction: vi.fn(
        async (_id: string, _batchId: string | undefined, _failure: { code: string; message: string }) =>
          true,
      ),
    },
    queue: {
      removeWaiting: vi.fn(async (ids: readonly string[]) =>
        redis(() => ids.filter((id) => options.waiting.includes(id))),
      ),
      withoutJob: vi.fn(async (ids: readonly string[]) =>
        redis(() => ids.filter((id) => !options.withJob.includes(id))),
      ),
      enqueueMany: vi.fn(async (payloads: { predictionId: string }[]) =>
        redis(() => payloads.map((p) => p.predictionId)),
      ),
    },
    quietMs: 30 * 60 * 1000,
    pageSize: options.pageSize ?? 500,
    pagesPerSweep: 2,
    now: () => Date.parse('2026-12-01T12:00:00Z'),
  } satisfies StaleUploadSweeperDependencies;
  return { subject: new StaleUploadSweeper(deps), deps };
}

describe('StaleUploadSweeper', () => {
  it('looks for batches quiet since the timeout and fails the recordings taken back or never queued', async () => {
    const { subject, deps } = sweeper({
      stale: [batch('b1')],
      pending: { b1: ['waiting', 'running', 'never-queued'] },
      waiting: ['waiting'],
      withJob: ['waiting', 'running'],
    });

    expect(await subject.sweep()).toEqual({
      batches: [{ batchId: 'b1', unscreened: 2 }],
      requeued: 0,
      failed: 0,
    });

    expect(deps.batches.listStaleReceiving).toHaveBeenCalledWith(new Date('2026-12-01T11:30:00Z'));
    expect(deps.queue.withoutJob).toHaveBeenCalledWith(['waiting', 'running', 'never-queued']);
    expect(deps.queue.removeWaiting).toHaveBeenCalledWith(['waiting', 'running']);
    // Counted as failed in the batch (failPrediction is given the batch).
    expect(deps.outcomes.failPrediction.mock.calls).toEqual([
      ['never-queued', 'b1', { code: UPLOAD_ABORTED, message: STALE_UPLOAD_MESSAGE }],
      ['waiting', 'b1', { code: UPLOAD_ABORTED, message: STALE_UPLOAD_MESSAGE }],
    ]);
  });

  it('with Redis out, still ends the batch, and fails its pending predictions without a job once Redis is back', async () => {
    const at = new Date('2026-12-01T10:00:00Z');
    const options = {
      stale: [batch('b1')],
      pending: { b1: ['queued-then-lost', 'never-queued'] },
      waiting: [],
      withJob: [],
      redisDown: true,
    };
    const { subject, deps } = sweeper(options);
    await expect(subject.sweep()).rejects.toThrow('Connection is closed.');
    expect(deps.batches.abandonReceiving).toHaveBeenCalledWith('b1');

    // Redis is back (with its data lost); the broken-off batch is no longer receiving.
    options.redisDown = false;
    options.stale = [];
    const row = (id: string) => ({
      id,
      createdAt: at,
      recordingId: `rec-${id}`,
      storageKey: `k-${id}`,
      batchId: 'b1',
      site: null,
      batchAbandoned: true,
    });
    Object.assign(options, { toScreen: [row('queued-then-lost'), row('never-queued')] });
    expect(await subject.sweep()).toEqual({ batches: [], requeued: 0, failed: 2 });
    expect(
      deps.outcomes.failPrediction.mock.calls.map(([id, batchId, failure]) => [id, batchId, failure.code]),
    ).toEqual([
      ['queued-then-lost', 'b1', UPLOAD_ABORTED],
      ['never-queued', 'b1', UPLOAD_ABORTED],
    ]);
    expect(deps.queue.enqueueMany).toHaveBeenCalledWith([]);
  });

  it('leaves a batch another gateway ended first to that gateway', async () => {
    const { subject, deps } = sweeper({
      stale: [batch('b1'), batch('b2')],
      lostToAnotherGateway: ['b1'],
      pending: { b1: ['p1'], b2: [] },
      waiting: [],
      withJob: [],
    });

    expect(await subject.sweep()).toEqual({
      batches: [{ batchId: 'b2', unscreened: 0 }],
      requeued: 0,
      failed: 0,
    });
    expect(deps.predictions.listPendingIds).not.toHaveBeenCalledWith('b1');
    expect(deps.outcomes.failPrediction).not.toHaveBeenCalled();
  });

  it('queues again, with what the job needs (its site too), the pending predictions whose job is gone', async () => {
    const at = new Date('2026-12-01T10:00:00Z');
    const row = (id: string, batchId: string | null, site: string | null = null) => ({
      id,
      createdAt: at,
      recordingId: `rec-${id}`,
      storageKey: `recordings/${id}`,
      batchId,
      site,
      batchAbandoned: false,
    });
    const { subject, deps } = sweeper({
      stale: [],
      pending: {},
      toScreen: [row('lost-single', null), row('queued', 'b1'), row('lost-in-batch', 'b1', 'clinic-b')],
      waiting: [],
      withJob: ['queued'],
    });

    expect(await subject.sweep()).toEqual({ batches: [], requeued: 2, failed: 0 });
    expect(deps.predictions.listPendingToScreen).toHaveBeenCalledWith(new Date('2026-12-01T11:30:00Z'), {
      after: undefined,
      limit: 500,
    });
    expect(deps.queue.enqueueMany).toHaveBeenCalledWith([
      {
        predictionId: 'lost-single',
        recordingId: 'rec-lost-single',
        storageKey: 'recordings/lost-single',
        batchId: undefined,
        requestedAt: at.toISOString(),
      },
      {
        predictionId: 'lost-in-batch',
        recordingId: 'rec-lost-in-batch',
        storageKey: 'recordings/lost-in-batch',
        batchId: 'b1',
        site: 'clinic-b',
        requestedAt: at.toISOString(),
      },
    ]);
    expect(deps.outcomes.failPrediction).not.toHaveBeenCalled();
  });

  it('reads a long backlog a few pages per sweep, going on where the last sweep stopped', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => ({
      id: `p${i}`,
      createdAt: new Date(0),
      recordingId: `r${i}`,
      storageKey: `k${i}`,
      batchId: null,
      site: null,
      batchAbandoned: false,
    }));
    const { subject, deps } = sweeper({
      stale: [],
      pending: {},
      toScreen: rows,
      pageSize: 2,
      waiting: [],
      withJob: [],
    });
    const requeuedIds = () =>
      deps.queue.enqueueMany.mock.calls.flatMap(([payloads]) => payloads.map((p) => p.predictionId));

    expect((await subject.sweep()).requeued).toBe(4);
    expect(requeuedIds()).toEqual(['p0', 'p1', 'p2', 'p3']);
    expect((await subject.sweep()).requeued).toBe(1);
    expect(requeuedIds()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    // The end was reached: the next sweep starts from the oldest again.
    await subject.sweep();
    expect(deps.predictions.listPendingToScreen).toHaveBeenLastCalledWith(expect.any(Date), {
      after: { createdAt: new Date(0), id: 'p1' },
      limit: 2,
    });
  });
});
