// A gateway killed (SIGKILL) in the middle of a multipart batch upload, and the client retrying with
// the same Idempotency-Key on a new gateway: the retry gets every file, never the partial batch
// the dead request left behind, and that partial batch ends failed with every recording counted.
// Real processes on the integration run's PostgreSQL, Redis and S3 server.
import { randomUUID } from 'node:crypto';
import { and, eq, isNotNull } from 'drizzle-orm';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { loadConfig } from '@heartbeat/config';
import { apiKeys, batches, connectDatabase, predictions, type DatabaseConnection } from '@heartbeat/db';
import { buildWav, int16Samples } from '../../../libs/audio/test/wav-builder';
import { hashApiKey } from './auth/api-key-secret';
import { freePort } from '../../../test/free-port';
import { startService, waitFor, type ServiceProcess } from '../../../test/real-stack';

const ADMIN_KEY = 'hb_upload-recovery-test-admin-key';
const FILES = 24;
const BOUNDARY = '----heartbeat-recovery';

let env: Record<string, string>;
let connection: DatabaseConnection;
const gateways: ServiceProcess[] = [];

async function startGateway(): Promise<{ gateway: ServiceProcess; base: string }> {
  const port = await freePort();
  const gateway = startService('gateway', 'apps/gateway/src/main.ts', {
    ...env,
    PORT: String(port),
    GATEWAY_METRICS_PORT: '0',
    HEARTBEAT_BOOTSTRAP_API_KEY: ADMIN_KEY,
    RATE_LIMIT_PER_MINUTE: '100000',
    STALE_UPLOAD_TIMEOUT_MS: '2000',
    STALE_UPLOAD_SWEEP_INTERVAL_MS: '60000',
  });
  gateways.push(gateway);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    'the gateway to answer',
    async () => (await fetch(`${base}/health/live`)).status === 200 || undefined,
    { timeoutMs: 60_000, everyMs: 100, services: [gateway] },
  );
  return { gateway, base };
}

/** Distinct 3-s recordings (their bytes differ, so each is its own object). */
const recordings = Array.from({ length: FILES }, (_, i) => ({
  name: `r${i}.wav`,
  bytes: buildWav({
    data: int16Samples(Float32Array.from({ length: 6000 }, (_, n) => 0.3 * Math.sin((n * (i + 3)) / 40))),
  }),
}));

function part(file: { name: string; bytes: Uint8Array }): Uint8Array {
  const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="${file.name}"\r\nContent-Type: audio/wav\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), file.bytes, Buffer.from('\r\n')]);
}

const headers = (key: string) => ({
  Authorization: `Bearer ${ADMIN_KEY}`,
  'Idempotency-Key': key,
  'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
});

beforeAll(() => {
  const integration = inject('integrationEnv');
  env = { ...integration, QUEUE_PREFIX: `${integration.QUEUE_PREFIX}:recovery`, LOG_LEVEL: 'warn' };
  connection = connectDatabase(loadConfig(env).db.url, { poolSize: 2 });
});

afterAll(async () => {
  for (const gateway of gateways) await gateway.stop('SIGKILL');
  await connection?.close();
});

it('answers a same-key retry after a gateway crash with the whole batch, and ends the partial one with every recording counted', async () => {
  const key = `recovery-${randomUUID()}`;
  const first = await startGateway();

  // The upload sends half the files, then stalls, as a client would while the gateway dies.
  let stall!: () => void;
  const stalled = new Promise<void>((resolve) => (stall = resolve));
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const file of recordings.slice(0, FILES / 2)) controller.enqueue(part(file));
      // The next part's boundary, so the last file sent is known to be complete.
      controller.enqueue(Buffer.from(`--${BOUNDARY}\r\n`));
      await stalled;
      controller.close();
    },
  });
  const dying = fetch(`${first.base}/api/v1/batches`, {
    method: 'POST',
    headers: headers(key),
    body,
    duplex: 'half',
  } as RequestInit).catch((error: unknown) => error);
  let partial: { id: string } | undefined;
  await waitFor(
    'the first half to be registered',
    async () => {
      const [caller] = await connection.db
        .select({ id: apiKeys.id })
        .from(apiKeys)
        .where(eq(apiKeys.keyHash, hashApiKey(ADMIN_KEY)));
      if (!caller) return undefined;
      [partial] = await connection.db
        .select({ id: batches.id })
        .from(batches)
        .where(
          and(
            eq(batches.status, 'receiving'),
            eq(batches.createdBy, caller.id),
            isNotNull(batches.idempotencyKey),
          ),
        );
      if (!partial) return undefined;
      const rows = await connection.db
        .select({ id: predictions.id })
        .from(predictions)
        .where(eq(predictions.batchId, partial.id));
      return rows.length === FILES / 2 || undefined;
    },
    { timeoutMs: 30_000, everyMs: 100, services: [first.gateway] },
  );
  await first.gateway.stop('SIGKILL');
  stall();
  await dying;

  // A new gateway; the dead request's lock on the key lapses after STALE_UPLOAD_TIMEOUT_MS (2 s).
  const second = await startGateway();
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const multipart = Buffer.concat([...recordings.map(part), Buffer.from(`--${BOUNDARY}--\r\n`)]);
  const retry = await fetch(`${second.base}/api/v1/batches`, {
    method: 'POST',
    headers: headers(key),
    body: multipart,
  });
  const created = await retry.json();

  expect(retry.status, JSON.stringify(created).slice(0, 500)).toBe(202);
  expect(created).toMatchObject({ total: FILES, accepted: FILES, rejected: 0 });
  expect(created.batchId).not.toBe(partial!.id);
  expect(new Set(created.files.map((file: { recordingId: string }) => file.recordingId)).size).toBe(FILES);
  const [fresh] = await connection.db.select().from(batches).where(eq(batches.id, created.batchId));
  expect(fresh).toMatchObject({ status: 'running', totalCount: FILES });
  expect(
    await connection.db
      .select({ id: predictions.id })
      .from(predictions)
      .where(eq(predictions.batchId, created.batchId)),
  ).toHaveLength(FILES);

  // The partial batch is failed, its key freed, and all its recordings counted as failed (none had started).
  const [ended] = await connection.db.select().from(batches).where(eq(batches.id, partial!.id));
  expect(ended).toMatchObject({
    status: 'failed',
    idempotencyKey: null,
    totalCount: FILES / 2,
    failedCount: FILES / 2,
  });
  const left = await connection.db
    .select({ status: predictions.status, errorCode: predictions.errorCode })
    .from(predictions)
    .where(eq(predictions.batchId, partial!.id));
  expect(left.every((row) => row.status === 'failed' && row.errorCode === 'UPLOAD_ABORTED')).toBe(true);

  // A second retry is the stored answer, not another batch.
  const again = await fetch(`${second.base}/api/v1/batches`, {
    method: 'POST',
    headers: headers(key),
    body: multipart,
  });
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  expect((await again.json()).batchId).toBe(created.batchId);
}, 180_000);
