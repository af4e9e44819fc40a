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

  it('passes a failure on and goes on with the next job', async () => {
    const isolation = new CrashIsolation();
    await expect(isolation.alone(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await isolation.shared(async () => 42)).toBe(42);
  });
});
