import { describe, expect, it, vi } from 'vitest';
import type { Batch } from '@heartbeat/db';
import { NOT_QUEUED, UPLOAD_ABORTED } from './batch-intake';
import {
  NEVER_QUEUED_MESSAGE,
  StaleUploadSweeper,
  STALE_UPLOAD_MESSAGE,
  type StaleUploadSweeperDependencies,
} from './stale-upload-sweeper';

const batch = (id: string) => ({ id, status: 'receiving' }) as Batch;

function sweeper(options: {
  stale: Batch[];
  lostToAnotherGateway?: string[];
  pending: Record<string, string[]>;
  pendingSingles?: string[];
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
      listPendingSingles: vi.fn(async (_before: Date) => options.pendingSingles ?? []),
      fail: vi.fn(async () => undefined),
    },
    queue: {
      removeWaiting: vi.fn(async (ids: readonly string[]) =>
        ids.filter((id) => options.waiting.includes(id)),
      ),
      withoutJob: vi.fn(async (ids: readonly string[]) => ids.filter((id) => !options.withJob.includes(id))),
    },
    quietMs: 30 * 60 * 1000,
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

    expect(await subject.sweep()).toEqual({ batches: [{ batchId: 'b1', unscreened: 2 }], neverQueued: 0 });

    expect(deps.batches.listStaleReceiving).toHaveBeenCalledWith(new Date('2026-12-01T11:30:00Z'));
    expect(deps.queue.withoutJob).toHaveBeenCalledWith(['running', 'never-queued']);
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

    expect(await subject.sweep()).toEqual({ batches: [{ batchId: 'b2', unscreened: 0 }], neverQueued: 0 });
    expect(deps.predictions.listPendingIds).not.toHaveBeenCalledWith('b1');
    expect(deps.predictions.fail).not.toHaveBeenCalled();
  });

  it('fails a single recording pending since the timeout only when it has no job at all', async () => {
    const { subject, deps } = sweeper({
      stale: [],
      pending: {},
      pendingSingles: ['queued-long-ago', 'never-queued'],
      waiting: [],
      withJob: ['queued-long-ago'],
    });

    expect(await subject.sweep()).toEqual({ batches: [], neverQueued: 1 });
    expect(deps.predictions.listPendingSingles).toHaveBeenCalledWith(new Date('2026-12-01T11:30:00Z'));
    expect(deps.predictions.fail.mock.calls).toEqual([
      ['never-queued', { code: NOT_QUEUED, message: NEVER_QUEUED_MESSAGE }],
    ]);
  });
});
