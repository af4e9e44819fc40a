// Every administrative action on model versions leaves an audit event naming the key that asked:
// promote, roll back and retire through the API, on the real PostgreSQL, Redis and S3 server of the
// integration run. The versions are this file's own (9.x), and the version that served before is
// serving again afterwards, so later files see the registry as they expect.
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@heartbeat/config';
import { ModelRegistry } from '@heartbeat/model-registry';
import { createUntrainedModelDirectory } from '@heartbeat/model-training/testing';
import { ApiKeysService } from '../auth/api-keys.service';
import { createGatewayApp } from '../gateway-app';
import { ownDatabaseEnv } from '../../../../test/own-database';

const VERSIONS = ['9.1.0', '9.2.0'] as const;
let app: NestExpressApplication;
let base: string;
let workDir: string;
let admin: { secret: string; keyId: string };

beforeAll(async () => {
  const env = await ownDatabaseEnv();
  const config = loadConfig({
    ...env,
    QUEUE_PREFIX: `${env.QUEUE_PREFIX}:model-audit`,
    PUBLIC_READS: 'false',
    RATE_LIMIT_PER_MINUTE: '100000',
  });
  app = await createGatewayApp(config, { logger: false });
  await app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  const created = await app.get(ApiKeysService).create({ role: 'admin', name: 'model-audit-admin' });
  admin = { secret: created.secret, keyId: created.apiKey.id };
  const registry = app.get(ModelRegistry);
  workDir = await mkdtemp(path.join(tmpdir(), 'model-audit-'));
  for (const [index, version] of VERSIONS.entries()) {
    const dir = path.join(workDir, version);
    await createUntrainedModelDirectory(dir, version, { seed: index + 1 });
    await registry.registerModelDirectory(dir);
  }
});

afterAll(async () => {
  await app?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

const post = (route: string, reason: string) =>
  fetch(`${base}${route}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${admin.secret}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ reason }),
  });

describe('audit events of model actions', () => {
  it('records promote, roll back and retire with the key that asked, the version and the reason', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    expect((await post('/api/v1/models/9.1.0/promote', 'first candidate')).status).toBe(200);
    expect((await post('/api/v1/models/9.2.0/promote', 'better candidate')).status).toBe(200);
    const rolledBack = await post('/api/v1/models/rollback', 'sensitivity dropped at site A');
    expect(rolledBack.status).toBe(200);
    expect((await rolledBack.json()).promoted.version).toBe('9.1.0');
    expect((await post('/api/v1/models/9.2.0/retire', 'withdrawn after review')).status).toBe(200);

    const page = await (
      await fetch(
        `${base}/api/v1/audit-events?actorKeyId=${admin.keyId}&subjectType=model_version&from=${since}`,
        { headers: { Authorization: `Bearer ${admin.secret}` } },
      )
    ).json();
    const events = (
      page.items as {
        action: string;
        subjectId: string;
        actorKeyId: string;
        details: Record<string, unknown>;
      }[]
    ).map(({ action, subjectId, actorKeyId, details }) => ({
      action,
      subjectId,
      actorKeyId,
      actor: details.actor,
      reason: details.reason,
    }));
    const by = { actorKeyId: admin.keyId, actor: 'model-audit-admin' };
    expect(events).toEqual([
      { action: 'model.retired', subjectId: '9.2.0', ...by, reason: 'withdrawn after review' },
      { action: 'model.rolled_back', subjectId: '9.1.0', ...by, reason: 'sensitivity dropped at site A' },
      { action: 'model.promoted', subjectId: '9.2.0', ...by, reason: 'better candidate' },
      { action: 'model.promoted', subjectId: '9.1.0', ...by, reason: 'first candidate' },
    ]);
  });

  it('records nothing for an action that is refused', async () => {
    const since = new Date().toISOString();
    // the serving version cannot be retired
    expect((await post('/api/v1/models/9.1.0/retire', 'oops')).status).toBe(409);
    const page = await (
      await fetch(`${base}/api/v1/audit-events?actorKeyId=${admin.keyId}&from=${since}`, {
        headers: { Authorization: `Bearer ${admin.secret}` },
      })
    ).json();
    expect(page.total).toBe(0);
  });
});
