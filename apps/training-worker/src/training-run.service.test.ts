import { describe, expect, it, vi } from 'vitest';
import type { TrainingRun } from '@heartbeat/db';
import { silentLogger } from '@heartbeat/telemetry';
import { TrainingRunService, type RunControl, type TrainingRunDependencies } from './training-run.service';

const run = (overrides: Partial<TrainingRun>): TrainingRun => ({
  id: '00000000-0000-4000-8000-000000000001',
  kind: 'retrain',
  status: 'running',
  progress: 0.4,
  params: { epochs: 3 },
  metrics: null,
  log: '',
  error: null,
  site: null,
  checkpointKey: null,
  requestedBy: null,
  createdAt: new Date(),
  startedAt: new Date(),
  finishedAt: null,
  ...overrides,
});

function service(runs: TrainingRun[], leased: string[] = []) {
  const control: RunControl = {
    isCancelRequested: vi.fn(async () => false),
    clearCancel: vi.fn(async () => undefined),
    holdLease: vi.fn(async () => async () => undefined),
    isLeased: vi.fn(async (id: string) => leased.includes(id)),
    requeue: vi.fn(async () => undefined),
  };
  const store = {
    findById: vi.fn(async (id: string) => runs.find((r) => r.id === id)),
    listRunning: vi.fn(async () => runs.filter((r) => r.status === 'running')),
    markRunning: vi.fn(async () => undefined),
    reportProgress: vi.fn(async () => undefined),
    finish: vi.fn(async () => undefined),
    setCheckpoint: vi.fn(async () => undefined),
  };
  const deps = {
    runs: store,
    control,
    logger: silentLogger(),
    settings: {},
  } as unknown as TrainingRunDependencies;
  return { service: new TrainingRunService(deps), control, store };
}

describe('TrainingRunService.recoverInterruptedRuns', () => {
  it('re-queues a run a dead worker left running with a checkpoint, to resume from it', async () => {
    const orphan = run({ checkpointKey: 'training-runs/x/checkpoint-epoch-2.json' });
    const { service: subject, control, store } = service([orphan]);
    expect(await subject.recoverInterruptedRuns()).toEqual({ resumed: [orphan.id], failed: [] });
    expect(control.requeue).toHaveBeenCalledWith(
      orphan.id,
      { kind: 'retrain', params: orphan.params },
      orphan.checkpointKey,
    );
    expect(store.finish).not.toHaveBeenCalled();
  });

  it('marks failed, with a reason, a run left running before its first checkpoint', async () => {
    const orphan = run({});
    const { service: subject, store } = service([orphan]);
    await subject.recoverInterruptedRuns();
    expect(store.finish).toHaveBeenCalledWith(orphan.id, 'failed', {
      error: expect.stringMatching(/before the run saved a checkpoint/),
    });
  });

  it('leaves alone a run a live worker still holds', async () => {
    const active = run({});
    const { service: subject, store, control } = service([active], [active.id]);
    expect(await subject.recoverInterruptedRuns()).toEqual({ resumed: [], failed: [] });
    expect(store.finish).not.toHaveBeenCalled();
    expect(control.requeue).not.toHaveBeenCalled();
  });
});

describe('TrainingRunService.process', () => {
  it('does nothing for a run that already ended (a redelivered job)', async () => {
    const ended = run({ status: 'succeeded', progress: 1 });
    const { service: subject, store } = service([ended]);
    expect(await subject.process({ schemaVersion: 1, runId: ended.id, kind: 'retrain', params: {} })).toEqual(
      {
        runId: ended.id,
        status: 'succeeded',
        error: undefined,
      },
    );
    expect(store.markRunning).not.toHaveBeenCalled();
  });

  it('ends a run cancelled while queued without starting it', async () => {
    const queued = run({ status: 'queued', progress: 0 });
    const { service: subject, store, control } = service([queued]);
    vi.mocked(control.isCancelRequested).mockResolvedValue(true);
    expect(
      (await subject.process({ schemaVersion: 1, runId: queued.id, kind: 'retrain', params: {} })).status,
    ).toBe('cancelled');
    expect(store.finish).toHaveBeenCalledWith(queued.id, 'cancelled', expect.anything());
    expect(store.markRunning).not.toHaveBeenCalled();
  });
});
