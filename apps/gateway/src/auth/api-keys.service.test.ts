import { describe, expect, it } from 'vitest';
import type { ApiKey, NewApiKey } from '@heartbeat/db';
import { hashApiKey } from './api-key-secret';
import { ApiKeysService } from './api-keys.service';
import { presentedApiKey } from './api-key.guard';

function fakeRepository() {
  const keys: ApiKey[] = [];
  let lookups = 0;
  return {
    keys,
    lookups: () => lookups,
    create: async (key: NewApiKey) => {
      const row = {
        ...key,
        id: `id-${keys.length}`,
        createdAt: new Date(),
        lastUsedAt: null,
        revokedAt: null,
      } as ApiKey;
      keys.push(row);
      return row;
    },
    findActiveByHash: async (hash: string) => (
      lookups++,
      keys.find((k) => k.keyHash === hash && !k.revokedAt)
    ),
    touchLastUsed: async () => undefined,
    list: async () => keys,
    revoke: async (id: string) => {
      const key = keys.find((k) => k.id === id && !k.revokedAt);
      if (key) key.revokedAt = new Date();
      return key;
    },
  };
}

const audit = { record: async () => undefined };

describe('ApiKeysService', () => {
  it('stores only the sha256 of the secret and returns the secret once', async () => {
    const repository = fakeRepository();
    const { secret, apiKey } = await new ApiKeysService(repository as never, audit as never).create({
      role: 'screening',
      name: 'ward',
    });
    expect(secret).toMatch(/^hb_[A-Za-z0-9_-]{43}$/);
    expect(repository.keys[0]!.keyHash).toBe(hashApiKey(secret));
    expect(JSON.stringify(repository.keys[0])).not.toContain(secret);
    expect(apiKey).not.toHaveProperty('keyHash');
  });

  it('authenticates a known secret and caches the answer', async () => {
    const repository = fakeRepository();
    const service = new ApiKeysService(repository as never, audit as never);
    const { secret } = await service.create({ role: 'admin', name: 'ops' });
    expect(await service.authenticate(secret)).toMatchObject({ role: 'admin', name: 'ops' });
    await service.authenticate(secret);
    expect(repository.lookups()).toBe(1);
    expect(await service.authenticate('hb_unknown')).toBeUndefined();
  });

  it('creates the bootstrap key as admin only when it does not exist yet', async () => {
    const repository = fakeRepository();
    const service = new ApiKeysService(repository as never, audit as never);
    expect(await service.ensureBootstrapKey('hb_local-dev')).toBe(true);
    expect(await service.ensureBootstrapKey('hb_local-dev')).toBe(false);
    expect(repository.keys.map((k) => [k.name, k.role])).toEqual([['bootstrap', 'admin']]);
  });

  it('forgets a revoked key at once', async () => {
    const repository = fakeRepository();
    const service = new ApiKeysService(repository as never, audit as never);
    const { secret, apiKey } = await service.create({ role: 'screening', name: 'old' });
    await service.authenticate(secret);
    await service.revoke(apiKey.id);
    expect(await service.authenticate(secret)).toBeUndefined();
  });
});

describe('presentedApiKey', () => {
  it('reads Authorization: Bearer and X-API-Key', () => {
    expect(presentedApiKey({ authorization: 'Bearer hb_abc' })).toBe('hb_abc');
    expect(presentedApiKey({ 'x-api-key': ' hb_def ' })).toBe('hb_def');
    expect(presentedApiKey({ authorization: 'Basic dXNlcjpwYXNz' })).toBeUndefined();
  });
});
