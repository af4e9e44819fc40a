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
}) {
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
      fail: vi.fn(async () => undefined),
    },
    queue: {
      removeWaiting: vi.fn(async (ids: readonly string[]) =>
        ids.filter((id) => options.waiting.includes(id)),
      ),
      withoutJob: vi.fn(async (ids: readonly string[]) => ids.filter((id) => !options.withJob.includes(id))),
      enqueueMany: vi.fn(async (payloads: { predictionId: string }[]) => payloads.map((p) => p.predictionId)),
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

    expect(await subject.sweep()).toEqual({ batches: [{ batchId: 'b1', unscreened: 2 }], requeued: 0 });

    expect(deps.batches.listStaleReceiving).toHaveBeenCalledWith(new Date('2026-12-01T11:30:00Z'));
    expect(deps.queue.withoutJob).toHaveBeenCalledWith(['waiting', 'running', 'never-queued']);
    expect(deps.queue.removeWaiting).toHaveBeenCalledWith(['waiting', 'running']);
    expect(deps.predictions.fail.mock.calls).toEqual([
      ['waiting', { code: UPLOAD_ABORTED, message: STALE_UPLOAD_MESSAGE }],
      ['never-queued', { code: UPLOAD_ABORTED, message: STALE_UPLOAD_MESSAGE }],
    ]);
  });

  it('leaves a batch another gateway ended first to that gateway', async () => {
    const { subject, deps } = sweeper({
      stale: [batch('b1'), batch('b2')],
      lostToAnotherGateway: ['b1'],
      pending: { b1: ['p1'], b2: [] },
      waiting: [],
      withJob: [],
    });

    expect(await subject.sweep()).toEqual({ batches: [{ batchId: 'b2', unscreened: 0 }], requeued: 0 });
    expect(deps.predictions.listPendingIds).not.toHaveBeenCalledWith('b1');
    expect(deps.predictions.fail).not.toHaveBeenCalled();
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
    });
    const { subject, deps } = sweeper({
      stale: [],
      pending: {},
      toScreen: [row('lost-single', null), row('queued', 'b1'), row('lost-in-batch', 'b1', 'clinic-b')],
      waiting: [],
      withJob: ['queued'],
    });

    expect(await subject.sweep()).toEqual({ batches: [], requeued: 2 });
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
    expect(deps.predictions.fail).not.toHaveBeenCalled();
  });

  it('reads a long backlog a few pages per sweep, going on where the last sweep stopped', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => ({
      id: `p${i}`,
      createdAt: new Date(0),
      recordingId: `r${i}`,
      storageKey: `k${i}`,
      batchId: null,
      site: null,
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
