import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { DeleteBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it, inject } from 'vitest';
import { loadConfig } from '@heartbeat/config';
import {
  createS3Client,
  keyForSha256,
  ObjectNotFoundError,
  ObjectStorage,
  ObjectTooLargeError,
  StorageUnavailableError,
} from './object-storage';

let storage: ObjectStorage;
const TEST_PREFIX = `test-${process.pid}`;

beforeAll(async () => {
  storage = ObjectStorage.fromSettings(loadConfig(inject('integrationEnv')).s3);
  await storage.ensureBucket();
});

afterEach(async () => {
  for await (const object of storage.listAll({ prefix: `${TEST_PREFIX}/` })) await storage.delete(object.key);
  for await (const object of storage.listAll({ prefix: 'tmp/' })) await storage.delete(object.key);
});

afterAll(() => storage.close());

/** A stream of `bytes` in chunks of 64 KiB, like an HTTP upload arriving. */
function chunkedStream(bytes: Buffer): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= bytes.length) return this.push(null);
      this.push(bytes.subarray(offset, offset + 65_536));
      offset += 65_536;
    },
  });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('ObjectStorage', () => {
  it('round-trips a 20 MB stream under its sha256 key', async () => {
    const bytes = randomBytes(20 * 1024 * 1024);
    const sha256 = createHash('sha256').update(bytes).digest('hex');

    const stored = await storage.putStream(chunkedStream(bytes), {
      prefix: TEST_PREFIX,
      contentType: 'audio/wav',
    });

    expect(stored).toEqual({ key: `${TEST_PREFIX}/${sha256}`, sha256, size: bytes.length, created: true });
    expect(await storage.head(stored.key)).toMatchObject({
      size: bytes.length,
      contentType: 'audio/wav',
      sha256,
    });
    const readBack = await readAll(await storage.getStream(stored.key));
    expect(readBack.length).toBe(bytes.length);
    expect(readBack.equals(bytes)).toBe(true);
  });

  it('stores identical content once, whether it arrives as a stream or a buffer', async () => {
    const bytes = randomBytes(256 * 1024);

    const first = await storage.putStream(chunkedStream(bytes), { prefix: TEST_PREFIX });
    const again = await storage.putStream(chunkedStream(bytes), { prefix: TEST_PREFIX });
    const asBuffer = await storage.putBuffer(bytes, { prefix: TEST_PREFIX });

    expect(first.created).toBe(true);
    expect(again).toEqual({ ...first, created: false });
    // A buffer is written without asking first: the same bytes again, under the same key.
    expect(asBuffer).toEqual({ ...first, created: true });
    expect((await storage.list({ prefix: `${TEST_PREFIX}/` })).objects.map((o) => o.key)).toEqual([
      first.key,
    ]);
    expect((await storage.getBuffer(first.key)).equals(bytes)).toBe(true);
    expect(await storage.head(first.key)).toMatchObject({ size: bytes.length, sha256: first.sha256 });
    expect((await storage.list({ prefix: 'tmp/' })).objects).toEqual([]);
  });

  it('stores a buffer under its sha256 key and reads it back', async () => {
    const bytes = Buffer.from('RIFF....WAVEfmt ');
    const stored = await storage.putBuffer(bytes, { prefix: TEST_PREFIX });

    expect(stored.key).toBe(keyForSha256(createHash('sha256').update(bytes).digest('hex'), TEST_PREFIX));
    expect(await storage.getBuffer(stored.key)).toEqual(bytes);
  });

  it('aborts a stream larger than maxBytes and leaves nothing behind', async () => {
    await expect(
      storage.putStream(chunkedStream(randomBytes(300_000)), { prefix: TEST_PREFIX, maxBytes: 100_000 }),
    ).rejects.toThrow(ObjectTooLargeError);
    expect((await storage.list({ prefix: `${TEST_PREFIX}/` })).objects).toEqual([]);
    expect((await storage.list({ prefix: 'tmp/' })).objects).toEqual([]);
  });

  it('lists page by page with a continuation token', async () => {
    for (let i = 0; i < 5; i++)
      await storage.putAt(`${TEST_PREFIX}/list/${i}.txt`, `object ${i}`, { contentType: 'text/plain' });

    const first = await storage.list({ prefix: `${TEST_PREFIX}/list/`, limit: 2 });
    const second = await storage.list({
      prefix: `${TEST_PREFIX}/list/`,
      limit: 2,
      continuationToken: first.nextContinuationToken,
    });
    const all = [];
    for await (const object of storage.listAll({ prefix: `${TEST_PREFIX}/list/`, pageSize: 2 }))
      all.push(object.key);

    expect(first.objects.map((o) => o.key)).toEqual([
      `${TEST_PREFIX}/list/0.txt`,
      `${TEST_PREFIX}/list/1.txt`,
    ]);
    expect(first.nextContinuationToken).toBeDefined();
    expect(second.objects.map((o) => o.key)).toEqual([
      `${TEST_PREFIX}/list/2.txt`,
      `${TEST_PREFIX}/list/3.txt`,
    ]);
    expect(all).toHaveLength(5);
  });

  it('reports a missing object as undefined on head and ObjectNotFoundError on get', async () => {
    expect(await storage.head(`${TEST_PREFIX}/missing`)).toBeUndefined();
    await expect(storage.getStream(`${TEST_PREFIX}/missing`)).rejects.toThrow(ObjectNotFoundError);
  });

  it('reports storage it cannot reach with StorageUnavailableError from reads and writes, not as a missing object', async () => {
    const settings = loadConfig(inject('integrationEnv')).s3;
    // Port 9 (discard) on loopback: nothing listens there.
    const unreachable = ObjectStorage.fromSettings({ ...settings, endpoint: 'http://127.0.0.1:9' });
    try {
      await expect(unreachable.getBuffer(`${TEST_PREFIX}/anything`)).rejects.toThrow(StorageUnavailableError);
      await expect(unreachable.getBuffer(`${TEST_PREFIX}/anything`)).rejects.toThrow(
        /unreachable.*ECONNREFUSED.*S3_ENDPOINT/s,
      );
      await expect(unreachable.putBuffer(Buffer.from('heart sounds'))).rejects.toThrow(
        StorageUnavailableError,
      );
      await expect(unreachable.putStream(chunkedStream(randomBytes(100_000)))).rejects.toThrow(
        StorageUnavailableError,
      );
    } finally {
      unreachable.close();
    }
  });

  it('reads back, by HEAD and GET, an object whose key needs encoding', async () => {
    const key = `${TEST_PREFIX}/models/v 1+2 (ü)/weights*.onnx`;
    await storage.putAt(key, 'weights', { contentType: 'application/octet-stream' });

    expect(await storage.head(key)).toMatchObject({ key, size: 7, contentType: 'application/octet-stream' });
    expect((await storage.getBuffer(key)).toString()).toBe('weights');
  });

  it('deletes an object', async () => {
    await storage.putAt(`${TEST_PREFIX}/doomed.txt`, 'bye');
    await storage.delete(`${TEST_PREFIX}/doomed.txt`);
    expect(await storage.head(`${TEST_PREFIX}/doomed.txt`)).toBeUndefined();
  });

  it('gives a presigned URL that downloads the object without credentials', async () => {
    const stored = await storage.putBuffer(Buffer.from('heart sounds'), {
      prefix: TEST_PREFIX,
      contentType: 'text/plain',
    });

    const url = await storage.presignedGetUrl(stored.key, {
      expiresInSeconds: 60,
      downloadName: 'a0001.wav',
    });
    const response = await fetch(url);

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('heart sounds');
    expect(response.headers.get('content-disposition')).toContain('a0001.wav');
  });

  it('creates the bucket when it is missing and accepts an existing one', async () => {
    const settings = { ...loadConfig(inject('integrationEnv')).s3, bucket: `heartbeat-new-${process.pid}` };
    const fresh = ObjectStorage.fromSettings(settings);
    const client = createS3Client(settings);
    try {
      expect(await fresh.isReady()).toBe(false);
      await fresh.ensureBucket();
      await fresh.ensureBucket();
      expect(await fresh.isReady()).toBe(true);
    } finally {
      await client.send(new DeleteBucketCommand({ Bucket: settings.bucket })).catch(() => undefined);
      client.destroy();
      fresh.close();
    }
  });
});

describe('keyForSha256', () => {
  it('refuses something that is not a sha256 digest', () => {
    expect(() => keyForSha256('../etc/passwd')).toThrow(/sha256/);
  });
});
