import { describe, expect, it, vi } from 'vitest';
import { DependencyOutageError, OutageWait } from './outage-wait';

class Unreachable extends Error {}

const settings = {
  unavailableDependency: (error: unknown) => (error instanceof Unreachable ? 'Object storage' : undefined),
  retryMs: 1,
  limitMs: 60_000,
};

/** An attempt that fails with `errors` in turn, then returns 'done'. */
function failingWith(...errors: Error[]) {
  return vi.fn(async () => {
    const next = errors.shift();
    if (next) throw next;
    return 'done';
  });
}

describe('OutageWait', () => {
  it('tells onUnavailable which dependency each failed try met, and in which step', async () => {
    const met: [string, string][] = [];
    const wait = new OutageWait({
      ...settings,
      onUnavailable: (dependency, step) => met.push([dependency, step]),
    });
    await wait.run(
      'reading the checkpoint',
      failingWith(new Unreachable('connect ECONNREFUSED'), new Unreachable('socket hang up')),
    );
    expect(met).toEqual([
      ['Object storage', 'reading the checkpoint'],
      ['Object storage', 'reading the checkpoint'],
    ]);
  });

  it('tries again while a dependency is out of reach and returns what the step gives once it is back', async () => {
    const attempt = failingWith(
      new Unreachable('connect ECONNREFUSED'),
      new Unreachable('connect ECONNREFUSED'),
    );
    const waits: string[] = [];

    const result = await new OutageWait(settings).run('assembling the data set', attempt, {
      onWait: (m) => waits.push(m),
    });

    expect(result).toBe('done');
    expect(attempt).toHaveBeenCalledTimes(3);
    expect(waits).toEqual([
      'Object storage is out of reach while assembling the data set; trying again in 1 ms',
      'Object storage is out of reach while assembling the data set; trying again in 1 ms',
    ]);
  });

  it('throws any other error at once', async () => {
    const attempt = failingWith(new Error('Site X has 1 normal recording'));

    await expect(new OutageWait(settings).run('step', attempt)).rejects.toThrow(
      'Site X has 1 normal recording',
    );
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it('gives up after the limit with a message that names the dependency, the step and what to do', async () => {
    let clock = 0;
    const attempt = vi.fn(async () => {
      clock += 40_000;
      throw new Unreachable('connect ECONNREFUSED 127.0.0.1:9000');
    });

    const failure = new OutageWait(settings, () => clock).run('registering 1.6.0', attempt);

    await expect(failure).rejects.toThrow(DependencyOutageError);
    await expect(failure).rejects.toThrow(
      'Object storage was out of reach for 80 s while registering 1.6.0 (connect ECONNREFUSED 127.0.0.1:9000); the run stopped. Start a new run once it is back',
    );
    expect(attempt).toHaveBeenCalledTimes(2);
  });

  it('stops waiting when the hook before a new try throws (a cancelled run)', async () => {
    const attempt = failingWith(new Unreachable('down'), new Unreachable('down'));
    const cancelled = new Error('Training run cancelled on request');

    await expect(
      new OutageWait(settings).run('step', attempt, {
        beforeRetry: () => {
          throw cancelled;
        },
      }),
    ).rejects.toBe(cancelled);
    expect(attempt).toHaveBeenCalledTimes(1);
  });
});
