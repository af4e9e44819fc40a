// A batch upload that fails part-way, on the integration run's S3 server and PostgreSQL: it removes
// the objects it wrote, but not one whose content a recording holds (an upload writes without asking
// whether the content-addressed key is there, so the recordings table decides what is in use).
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { loadConfig, type Config } from '@heartbeat/config';
import { connectDatabase, RecordingsRepository, type DatabaseConnection } from '@heartbeat/db';
import { ObjectStorage, type PutOptions } from '@heartbeat/storage';
import { GatewayMetrics } from '../telemetry/gateway-metrics';
import { readMultipartFiles } from './multipart';
import { RECORDINGS_PREFIX, UploadsService } from './uploads.service';

let config: Config;
let connection: DatabaseConnection;
let storage: ObjectStorage;

beforeAll(() => {
  config = loadConfig(inject('integrationEnv'));
  connection = connectDatabase(config.db.url, { poolSize: 2 });
  storage = ObjectStorage.fromSettings(config.s3);
});

afterAll(async () => {
  storage?.close();
  await connection?.close();
});

/** A WAV header and random samples: content no other test stores. */
function uniqueWav(bytes: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + bytes, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(4000, 24);
  header.writeUInt32LE(8000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(bytes, 40);
  return Buffer.concat([header, randomBytes(bytes)]);
}

function multipartRequest(files: { name: string; bytes: Buffer }[]): IncomingMessage {
  const boundary = 'heartbeat-int-boundary';
  const body = Buffer.concat([
    ...files.map((file) =>
      Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${file.name}"\r\nContent-Type: audio/wav\r\n\r\n`,
        ),
        file.bytes,
        Buffer.from('\r\n'),
      ]),
    ),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  return Object.assign(Readable.from([body]), {
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  }) as unknown as IncomingMessage;
}

const keyOf = (bytes: Buffer) => `${RECORDINGS_PREFIX}/${createHash('sha256').update(bytes).digest('hex')}`;

it('removes the objects a failed upload wrote, except one whose content a recording already holds', async () => {
  const fresh = uniqueWav(2000);
  const recorded = uniqueWav(3000);
  const failing = uniqueWav(4000);
  // An earlier upload of the same bytes: its object and its recordings row.
  const earlier = await storage.putBuffer(recorded, { prefix: RECORDINGS_PREFIX });
  await new RecordingsRepository(connection.db).create({
    storageKey: earlier.key,
    sha256: earlier.sha256,
    originalFileName: 'earlier.wav',
    format: 'wav',
    sizeBytes: recorded.length,
  });
  // Storage gives out on the third file, after the first two are written.
  const flaky = new Proxy(storage, {
    get(target, property, receiver) {
      if (property === 'putBuffer')
        return (body: Buffer, options: PutOptions) =>
          body.length === failing.length
            ? Promise.reject(new Error('storage went away'))
            : target.putBuffer(body, options);
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  const uploads = new UploadsService(
    flaky,
    config,
    new GatewayMetrics({ defaultMetrics: false }),
    new RecordingsRepository(connection.db),
  );

  const files = [
    { name: 'fresh.wav', bytes: fresh },
    { name: 'recorded.wav', bytes: recorded },
    { name: 'failing.wav', bytes: failing },
  ];
  await expect(
    uploads.stageAll(
      readMultipartFiles(multipartRequest(files), {
        fieldNames: ['files'],
        maxFiles: 5,
        maxFileBytes: 100_000,
      }),
    ),
  ).rejects.toThrow('storage went away');

  expect(await storage.head(keyOf(fresh))).toBeUndefined();
  expect((await storage.getBuffer(keyOf(recorded))).equals(recorded)).toBe(true);
  expect(await storage.head(keyOf(failing))).toBeUndefined();
});
