import { describe, expect, it } from 'vitest';
import { HotSwapSlot } from './hot-swap-slot';

function tracked() {
  const disposed: string[] = [];
  const slot = new HotSwapSlot<string>((value) => {
    disposed.push(value);
  });
  return { slot, disposed };
}

describe('HotSwapSlot', () => {
  it('has nothing to lease before the first swap', () => {
    expect(tracked().slot.acquire()).toBeUndefined();
  });

  it('hands new leases the new value as soon as it is swapped in', async () => {
    const { slot } = tracked();
    await slot.swap('v1');
    await slot.swap('v2');
    expect(slot.acquire()?.value).toBe('v2');
  });

  it('disposes a replaced value at once when nobody holds it', async () => {
    const { slot, disposed } = tracked();
    await slot.swap('v1');
    await slot.swap('v2');
    expect(disposed).toEqual(['v1']);
  });

  it('keeps a replaced value alive until its last lease is released', async () => {
    const { slot, disposed } = tracked();
    await slot.swap('v1');
    const first = slot.acquire()!;
    const second = slot.acquire()!;
    const drained = slot.swap('v2');
    expect(first.value).toBe('v1');
    expect(slot.retiringLeases).toBe(2);
    first.release();
    first.release(); // a double release counts once
    expect(disposed).toEqual([]);
    second.release();
    await drained;
    expect(disposed).toEqual(['v1']);
    expect(slot.retiringLeases).toBe(0);
  });

  it('never disposes the current value when its leases come and go', async () => {
    const { slot, disposed } = tracked();
    await slot.swap('v1');
    slot.acquire()!.release();
    expect(disposed).toEqual([]);
  });

  it('close waits for in-flight leases, then disposes everything', async () => {
    const { slot, disposed } = tracked();
    await slot.swap('v1');
    const lease = slot.acquire()!;
    let closed = false;
    const closing = slot.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed).toBe(false);
    lease.release();
    await closing;
    expect(disposed).toEqual(['v1']);
    expect(slot.acquire()).toBeUndefined();
  });

  it('reports a failing dispose instead of throwing it at whoever released last', async () => {
    const errors: unknown[] = [];
    const slot = new HotSwapSlot<string>(
      () => Promise.reject(new Error('native release failed')),
      (error) => errors.push(error),
    );
    await slot.swap('v1');
    await slot.swap('v2');
    expect((errors[0] as Error).message).toBe('native release failed');
  });
});
