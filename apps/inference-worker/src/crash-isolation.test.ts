import { describe, expect, it } from 'vitest';
import { CrashIsolation } from './crash-isolation';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('CrashIsolation', () => {
  it('runs ordinary jobs side by side', async () => {
    const isolation = new CrashIsolation();
    const started: string[] = [];
    const gates = [deferred(), deferred()];
    const jobs = gates.map((gate, i) => isolation.shared(async () => (started.push(`j${i}`), gate.promise)));
    await tick();
    expect(started).toEqual(['j0', 'j1']);
    gates.forEach((gate) => gate.resolve());
    await Promise.all(jobs);
  });

  it('starts a job that was in a crash only when the others have finished, and nothing beside it', async () => {
    const isolation = new CrashIsolation();
    const events: string[] = [];
    const first = deferred();
    const suspect = deferred();
    const a = isolation.shared(
      async () => (events.push('a start'), await first.promise, events.push('a end')),
    );
    const s = isolation.alone(
      async () => (events.push('s start'), await suspect.promise, events.push('s end')),
    );
    const b = isolation.shared(async () => void events.push('b start'));
    await tick();
    expect(events).toEqual(['a start']);
    first.resolve();
    await a;
    await tick();
    expect(events).toEqual(['a start', 'a end', 's start']);
    suspect.resolve();
    await Promise.all([s, b]);
    expect(events).toEqual(['a start', 'a end', 's start', 's end', 'b start']);
  });

  it('asks for arriving jobs to be deferred while a job that was in a crash waits or runs alone, and not otherwise', async () => {
    const isolation = new CrashIsolation();
    const ordinary = deferred();
    const suspect = deferred();
    const a = isolation.shared(() => ordinary.promise);
    await tick();
    expect(isolation.mustDefer()).toBe(false);
    const s = isolation.alone(() => suspect.promise);
    expect(isolation.mustDefer()).toBe(true);
    ordinary.resolve();
    await a;
    await tick();
    expect(isolation.mustDefer()).toBe(true);
    suspect.resolve();
    await s;
    await tick();
    expect(isolation.mustDefer()).toBe(false);
  });

  it('passes a failure on and goes on with the next job', async () => {
    const isolation = new CrashIsolation();
    await expect(isolation.alone(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await isolation.shared(async () => 42)).toBe(42);
  });
});
