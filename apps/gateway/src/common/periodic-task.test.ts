import { afterEach, describe, expect, it, vi } from 'vitest';
import { PeriodicTask } from './periodic-task';

afterEach(() => vi.useRealTimers());

describe('PeriodicTask', () => {
  it('runs at start and then every interval', async () => {
    vi.useFakeTimers();
    const run = vi.fn(async () => {});
    const task = new PeriodicTask(run, 1_000);
    task.start();
    await vi.advanceTimersByTimeAsync(2_500);
    expect(run).toHaveBeenCalledTimes(3);
    await task.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(run).toHaveBeenCalledTimes(3);
  });

  it('never starts a run while one is in progress, and stop waits for it', async () => {
    let finish!: () => void;
    let finished = false;
    const run = vi.fn(
      () =>
        new Promise<void>((resolve) => {
          finish = () => ((finished = true), resolve());
        }),
    );
    const task = new PeriodicTask(run, 60_000);
    task.start();
    task.runNow();
    expect(run).toHaveBeenCalledTimes(1);
    const stopped = task.stop();
    finish();
    await stopped;
    expect(finished).toBe(true);
  });
});
