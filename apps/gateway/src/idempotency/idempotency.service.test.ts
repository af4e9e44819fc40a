import { describe, expect, it, vi } from 'vitest';
import type { IdempotencyRecord } from '../infrastructure/idempotency.repository';
import { IdempotencyService, idempotencyScope, validateIdempotencyKey } from './idempotency.service';

function fakeStore() {
  const records = new Map<string, IdempotencyRecord>();
  const ttls: number[] = [];
  const renewals: number[] = [];
  const owns = (scope: string, owner: string) => {
    const record = records.get(scope);
    return record?.state === 'in-progress' && record.owner === owner;
  };
  return {
    records,
    ttls,
    renewals,
    find: async (scope: string) => records.get(scope),
    lock: async (scope: string, owner: string, ttl: number) => (
      ttls.push(ttl),
      records.has(scope) ? false : (records.set(scope, { state: 'in-progress', owner }), true)
    ),
    renew: async (scope: string, owner: string, ttl: number) => (renewals.push(ttl), owns(scope, owner)),
    save: async (scope: string, reply: never) => void records.set(scope, { state: 'done', reply }),
    release: async (scope: string, owner: string) => void (owns(scope, owner) && records.delete(scope)),
  };
}

const config = { gateway: { staleUploadTimeoutMs: 90_000 } } as never;

const context = { key: 'k-1', route: 'POST /api/v1/batches', caller: 'key-a' };

describe('IdempotencyService', () => {
  it('runs the work once and replays its reply, marked as replayed', async () => {
    const service = new IdempotencyService(fakeStore() as never, config);
    let runs = 0;
    const work = async () => ({ status: 202, body: { run: ++runs } });
    const first = await service.run(context, work);
    const again = await service.run(context, work);
    expect(runs).toBe(1);
    expect(again).toEqual({ ...first, headers: { 'Idempotent-Replayed': 'true' } });
  });

  it('runs every time without a key', async () => {
    const service = new IdempotencyService(fakeStore() as never, config);
    let runs = 0;
    await service.run({ ...context, key: undefined }, async () => ({ status: 200, body: ++runs }));
    await service.run({ ...context, key: undefined }, async () => ({ status: 200, body: ++runs }));
    expect(runs).toBe(2);
  });

  it('answers 409 IDEMPOTENCY_KEY_IN_USE while the first request is still running', async () => {
    const store = fakeStore();
    store.records.set(idempotencyScope(context)!, { state: 'in-progress' });
    const service = new IdempotencyService(store as never, config);
    await expect(service.run(context, async () => ({ status: 200, body: 1 }))).rejects.toMatchObject({
      statusCode: 409,
      code: 'IDEMPOTENCY_KEY_IN_USE',
    });
  });

  it('releases the key when the work fails, so the client can retry', async () => {
    const store = fakeStore();
    const service = new IdempotencyService(store as never, config);
    await expect(service.run(context, async () => Promise.reject(new Error('S3 down')))).rejects.toThrow(
      'S3 down',
    );
    expect(await service.run(context, async () => ({ status: 202, body: 'ok' }))).toEqual({
      status: 202,
      body: 'ok',
    });
  });

  it('locks a key for STALE_UPLOAD_TIMEOUT_MS, so a retry can take over from a crashed request as soon as its upload counts as broken off', async () => {
    const store = fakeStore();
    await new IdempotencyService(store as never, config).run(context, async () => ({
      status: 202,
      body: 'ok',
    }));
    expect(store.ttls).toEqual([90]);
  });

  it('renews the lock of a request that runs longer than the lock, so a retry meanwhile still gets 409', async () => {
    vi.useFakeTimers();
    try {
      const store = fakeStore();
      const service = new IdempotencyService(store as never, config);
      let finish!: () => void;
      const running = service.run(
        context,
        () => new Promise((resolve) => (finish = () => resolve({ status: 202, body: 'ok' }))),
      );
      await vi.advanceTimersByTimeAsync(200_000);
      expect(store.renewals).toEqual([90, 90, 90, 90, 90, 90]);
      finish();
      await running;
      await vi.advanceTimersByTimeAsync(200_000);
      expect(store.renewals).toHaveLength(6);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not release a key another request has taken over', async () => {
    const store = fakeStore();
    const service = new IdempotencyService(store as never, config);
    await expect(
      service.run(context, async () => {
        store.records.set(idempotencyScope(context)!, { state: 'in-progress', owner: 'the retry' });
        throw new Error('S3 down');
      }),
    ).rejects.toThrow('S3 down');
    expect(store.records.get(idempotencyScope(context)!)).toEqual({
      state: 'in-progress',
      owner: 'the retry',
    });
  });

  it('scopes a key to the route and the caller', () => {
    expect(idempotencyScope(context)).not.toBe(idempotencyScope({ ...context, route: 'POST /predict' }));
    expect(idempotencyScope(context)).not.toBe(idempotencyScope({ ...context, caller: 'key-b' }));
  });

  it('refuses a key with spaces or control characters', () => {
    expect(() => validateIdempotencyKey('has space')).toThrow(/Idempotency-Key/);
    expect(validateIdempotencyKey('3f0e2c3a-0d9e')).toBe('3f0e2c3a-0d9e');
  });
});
