// Deleting a recording through the API (its audio in the bucket, its predictions), the retention
// purge, and the audit log of administrative actions, on the real PostgreSQL, Redis and S3 server
// of the integration run.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig, type Config } from '@heartbeat/config';
import {
  connectDatabase,
  PredictionsRepository,
  recordings,
  RecordingsRepository,
  TrainingSamplesRepository,
  type DatabaseConnection,
} from '@heartbeat/db';
import { ObjectStorage } from '@heartbeat/storage';
import { ApiKeysService } from '../auth/api-keys.service';
import { createGatewayApp } from '../gateway-app';
import { RecordingDeletionService } from './recording-deletion.service';

const ROOT = path.resolve(__dirname, '../../../..');
// Trailing random bytes make each upload's content (and stored object) this test's own: other test
// files of the run upload the same samples, and their objects must not be deleted under them.
const sample = (name: string) =>
  Buffer.concat([
    readFileSync(path.join(ROOT, 'samples', `training-${name[0]}`, `${name}.flac`)),
    randomBytes(16),
  ]);
const DAY_MS = 24 * 60 * 60 * 1000;

let app: NestExpressApplication;
let base: string;
let config: Config;
let connection: DatabaseConnection;
let admin: { secret: string; keyId: string };
let screening: string;

beforeAll(async () => {
  const env = inject('integrationEnv');
  config = loadConfig({
    ...env,
    QUEUE_PREFIX: `${env.QUEUE_PREFIX}:dataprot`,
    PUBLIC_READS: 'false',
    RATE_LIMIT_PER_MINUTE: '100000',
  });
  app = await createGatewayApp(config, { logger: false });
  await app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  const created = await app.get(ApiKeysService).create({ role: 'admin', name: 'dp-admin' });
  admin = { secret: created.secret, keyId: created.apiKey.id };
  screening = (await app.get(ApiKeysService).create({ role: 'screening', name: 'dp-screening' })).secret;
  connection = connectDatabase(config.db.url, { poolSize: 2 });
});

afterAll(async () => {
  await app?.close();
  await connection?.close();
});

const auth = (secret: string) => ({ Authorization: `Bearer ${secret}` });

/** Uploads the files as one batch; returns each file's recording id and stored key. */
async function upload(
  files: { name: string; bytes: Buffer }[],
): Promise<{ recordingId: string; predictionId: string; storageKey: string }[]> {
  const body = new FormData();
  for (const file of files) body.append('files', new Blob([new Uint8Array(file.bytes)]), file.name);
  const response = await fetch(`${base}/api/v1/batches`, { method: 'POST', headers: auth(screening), body });
  expect(response.status).toBe(202);
  const batch = (await response.json()) as { files: { recordingId: string; predictionId: string }[] };
  const rows = new RecordingsRepository(connection.db);
  return Promise.all(
    batch.files.map(async (file) => ({
      ...file,
      storageKey: (await rows.findById(file.recordingId))!.storageKey,
    })),
  );
}

const stored = (key: string) => app.get(ObjectStorage).head(key);

describe('DELETE /api/v1/recordings/{id}', () => {
  it('deletes the stored audio, the recording and its predictions, and records who did it', async () => {
    const [kept, deleted] = await upload([
      { name: 'patient-kept.flac', bytes: sample('a0114') },
      { name: 'patient-deleted.flac', bytes: sample('b0421') },
    ]);
    expect(await stored(deleted!.storageKey)).toBeDefined();

    const response = await fetch(`${base}/api/v1/recordings/${deleted!.recordingId}`, {
      method: 'DELETE',
      headers: auth(admin.secret),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      recordingId: deleted!.recordingId,
      deletedPredictions: 1,
      deletedTrainingSamples: 0,
      objectDeleted: true,
    });

    expect(await stored(deleted!.storageKey)).toBeUndefined();
    expect(await new RecordingsRepository(connection.db).findById(deleted!.recordingId)).toBeUndefined();
    expect(await new PredictionsRepository(connection.db).findById(deleted!.predictionId)).toBeUndefined();
    expect(
      (await fetch(`${base}/api/v1/predictions/${deleted!.predictionId}`, { headers: auth(admin.secret) }))
        .status,
    ).toBe(404);
    // The other recording of the batch is untouched.
    expect(await stored(kept!.storageKey)).toBeDefined();
    expect(
      (await fetch(`${base}/api/v1/predictions/${kept!.predictionId}`, { headers: auth(admin.secret) }))
        .status,
    ).toBe(200);

    const again = await fetch(`${base}/api/v1/recordings/${deleted!.recordingId}`, {
      method: 'DELETE',
      headers: auth(admin.secret),
    });
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ code: 'RECORDING_NOT_FOUND' });

    const audit = await fetch(
      `${base}/api/v1/audit-events?action=recording.deleted&subjectId=${deleted!.recordingId}`,
      { headers: auth(admin.secret) },
    );
    const events = (await audit.json()) as {
      total: number;
      items: { actorKeyId: string; subjectType: string; details: Record<string, unknown> }[];
    };
    expect(events.total).toBe(1);
    expect(events.items[0]).toMatchObject({
      actorKeyId: admin.keyId,
      subjectType: 'recording',
      details: { objectDeleted: true, deletedPredictions: 1 },
    });
    // The audit log names no file name (they can identify a patient).
    expect(JSON.stringify(events)).not.toContain('patient-');
  });

  it('keeps the stored audio while another recording holds the same bytes', async () => {
    const bytes = sample('c0006');
    const [first, second] = await upload([
      { name: 'same-1.flac', bytes },
      { name: 'same-2.flac', bytes },
    ]);
    expect(first!.storageKey).toBe(second!.storageKey);
    const response = await fetch(`${base}/api/v1/recordings/${first!.recordingId}`, {
      method: 'DELETE',
      headers: auth(admin.secret),
    });
    expect(await response.json()).toMatchObject({ objectDeleted: false });
    expect(await stored(second!.storageKey)).toBeDefined();
    await fetch(`${base}/api/v1/recordings/${second!.recordingId}`, {
      method: 'DELETE',
      headers: auth(admin.secret),
    });
    expect(await stored(second!.storageKey)).toBeUndefined();
  });

  it('is refused to a screening key', async () => {
    const [one] = await upload([{ name: 'x.flac', bytes: sample('d0020') }]);
    const response = await fetch(`${base}/api/v1/recordings/${one!.recordingId}`, {
      method: 'DELETE',
      headers: auth(screening),
    });
    expect(response.status).toBe(403);
    expect(await stored(one!.storageKey)).toBeDefined();
  });
});

describe('retention', () => {
  it('purges screened recordings older than the retention period with their stored audio, and keeps recent ones and training data', async () => {
    const [old, recent, training] = await upload([
      { name: 'old.flac', bytes: sample('e00118') },
      { name: 'recent.flac', bytes: sample('a0293') },
      { name: 'training.flac', bytes: sample('b0427') },
    ]);
    const longAgo = new Date(Date.now() - 40 * DAY_MS);
    for (const each of [old!, training!])
      await connection.db
        .update(recordings)
        .set({ createdAt: longAgo })
        .where(eq(recordings.id, each.recordingId));
    await new TrainingSamplesRepository(connection.db).add({
      recordingId: training!.recordingId,
      label: 'normal',
    });

    const outcome = await app.get(RecordingDeletionService).purgeOlderThan(30);

    expect(outcome.purged).toBeGreaterThanOrEqual(1);
    const rows = new RecordingsRepository(connection.db);
    expect(await rows.findById(old!.recordingId)).toBeUndefined();
    expect(await stored(old!.storageKey)).toBeUndefined();
    expect(await rows.findById(recent!.recordingId)).toBeDefined();
    expect(await stored(recent!.storageKey)).toBeDefined();
    expect(await rows.findById(training!.recordingId)).toBeDefined();
    expect(await stored(training!.storageKey)).toBeDefined();

    const audit = await (
      await fetch(`${base}/api/v1/audit-events?action=recording.retention_purge`, {
        headers: auth(admin.secret),
      })
    ).json();
    expect(audit.items[0]).toMatchObject({
      actorKeyId: null,
      details: { retentionDays: 30, purged: outcome.purged },
    });
  });
});

describe('GET /api/v1/audit-events', () => {
  it('lists administrative actions newest first, filtered by action, actor and time', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const created = await fetch(`${base}/api/v1/api-keys`, {
      method: 'POST',
      headers: { ...auth(admin.secret), 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'audited', role: 'screening' }),
    });
    const { apiKey } = await created.json();
    await fetch(`${base}/api/v1/api-keys/${apiKey.id}`, { method: 'DELETE', headers: auth(admin.secret) });

    const page = await (
      await fetch(`${base}/api/v1/audit-events?actorKeyId=${admin.keyId}&from=${since}&subjectType=api_key`, {
        headers: auth(admin.secret),
      })
    ).json();
    expect(
      page.items.map((event: { action: string; subjectId: string }) => [event.action, event.subjectId]),
    ).toEqual([
      ['api_key.revoked', apiKey.id],
      ['api_key.created', apiKey.id],
    ]);
    const later = await (
      await fetch(
        `${base}/api/v1/audit-events?actorKeyId=${admin.keyId}&from=${new Date(Date.now() + 60_000).toISOString()}`,
        { headers: auth(admin.secret) },
      )
    ).json();
    expect(later.total).toBe(0);
    const bad = await fetch(`${base}/api/v1/audit-events?actorKeyId=not-a-uuid`, {
      headers: auth(admin.secret),
    });
    expect(bad.status).toBe(400);
  });
});
