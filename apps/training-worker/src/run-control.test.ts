import { afterEach, describe, expect, it, vi } from 'vitest';
import { trainingCancelKey, trainingLeaseKey, type TrainingControlStore } from '@heartbeat/queue';
import { RedisRunControl, type ResumeQueue } from './run-control';

class InMemoryRedis implements TrainingControlStore {
  readonly values = new Map<string, string>();
  readonly sets: string[] = [];
  async set(key: string, value: string) {
    this.values.set(key, value);
    this.sets.push(key);
    return 'OK';
  }
  async get(key: string) {
    return this.values.get(key) ?? null;
  }
  async del(key: string) {
    return Number(this.values.delete(key));
  }
}

const queue = () => ({ add: vi.fn<ResumeQueue['add']>(async () => undefined) });
const options = { prefix: 'hb', holder: 'training-worker', leaseTtlMs: 300 };

afterEach(() => vi.useRealTimers());

describe('RedisRunControl', () => {
  it("reads and clears the gateway's cancel flag for a run", async () => {
    const redis = new InMemoryRedis();
    const control = new RedisRunControl(redis, queue(), options);
    expect(await control.isCancelRequested('run-1')).toBe(false);
    redis.values.set(trainingCancelKey('hb', 'run-1'), '1');
    expect(await control.isCancelRequested('run-1')).toBe(true);
    await control.clearCancel('run-1');
    expect(await control.isCancelRequested('run-1')).toBe(false);
  });

  it('holds a lease, refreshing it while the run lasts, and gives it up on release', async () => {
    vi.useFakeTimers();
    const redis = new InMemoryRedis();
    const control = new RedisRunControl(redis, queue(), options);
    const release = await control.holdLease('run-1');
    expect(await control.isLeased('run-1')).toBe(true);
    expect(redis.values.get(trainingLeaseKey('hb', 'run-1'))).toBe('training-worker');
    await vi.advanceTimersByTimeAsync(300);
    expect(redis.sets).toHaveLength(4);
    await release();
    expect(await control.isLeased('run-1')).toBe(false);
    await vi.advanceTimersByTimeAsync(300);
    expect(redis.sets).toHaveLength(4);
  });

  it('re-queues a run once per checkpoint: the job id names the epoch it resumes from', async () => {
    const resume = queue();
    const control = new RedisRunControl(new InMemoryRedis(), resume, options);
    const job = { kind: 'retrain' as const, params: {} };
    await control.requeue('run-1', job, 'training-runs/run-1/checkpoint-epoch-7.json');
    await control.requeue('run-1', job);
    expect(resume.add.mock.calls).toEqual([
      [{ runId: 'run-1', kind: 'retrain', params: {} }, { jobId: 'run-1-resume-epoch-7' }],
      [{ runId: 'run-1', kind: 'retrain', params: {} }, { jobId: 'run-1-resume-epoch-start' }],
    ]);
  });
});
