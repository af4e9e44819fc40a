import { describe, expect, it } from 'vitest';
import type { IdempotencyRecord } from '../infrastructure/idempotency.repository';
import { IdempotencyService, idempotencyScope, validateIdempotencyKey } from './idempotency.service';

function fakeStore() {
  const records = new Map<string, IdempotencyRecord>();
  return {
    records,
    find: async (scope: string) => records.get(scope),
    lock: async (scope: string) => (records.has(scope) ? false : (records.set(scope, { state: 'in-progress' }), true)),
    save: async (scope: string, reply: never) => void records.set(scope, { state: 'done', reply }),
    release: async (scope: string) => void records.delete(scope),
  };
}

const context = { key: 'k-1', route: 'POST /api/v1/batches', caller: 'key-a' };

describe('IdempotencyService', () => {
  it('runs the work once and replays its reply, marked as replayed', async () => {
    const service = new IdempotencyService(fakeStore() as never);
    let runs = 0;
    const work = async () => ({ status: 202, body: { run: ++runs } });
    const first = await service.run(context, work);
    const again = await service.run(context, work);
    expect(runs).toBe(1);
    expect(again).toEqual({ ...first, headers: { 'Idempotent-Replayed': 'true' } });
  });

  it('runs every time without a key', async () => {
    const service = new IdempotencyService(fakeStore() as never);
    let runs = 0;
    await service.run({ ...context, key: undefined }, async () => ({ status: 200, body: ++runs }));
    await service.run({ ...context, key: undefined }, async () => ({ status: 200, body: ++runs }));
    expect(runs).toBe(2);
  });

  it('answers 409 IDEMPOTENCY_KEY_IN_USE while the first request is still running', async () => {
    const store = fakeStore();
    store.records.set(idempotencyScope(context)!, { state: 'in-progress' });
    const service = new IdempotencyService(store as never);
    await expect(service.run(context, async () => ({ status: 200, body: 1 }))).rejects.toMatchObject({ statusCode: 409, code: 'IDEMPOTENCY_KEY_IN_USE' });
  });

  it('releases the key when the work fails, so the client can retry', async () => {
    const store = fakeStore();
    const service = new IdempotencyService(store as never);
    await expect(service.run(context, async () => Promise.reject(new Error('S3 down')))).rejects.toThrow('S3 down');
    expect(await service.run(context, async () => ({ status: 202, body: 'ok' }))).toEqual({ status: 202, body: 'ok' });
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
