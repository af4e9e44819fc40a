import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '@heartbeat/config';
import { RECORDING_HANDOFF_MAX_BYTES, RecordingHandoff, recordingHandoffKey } from './recording-handoff';

let redis: Redis;
let prefix: string;

beforeAll(() => {
  const config = loadConfig(inject('integrationEnv'));
  redis = new Redis(config.redis.url);
  prefix = `${config.queue.prefix}:handoff-test`;
});

afterAll(() => redis.disconnect());

describe('recording handoff', () => {
  it('gives the offered bytes to the first taker only', async () => {
    const handoff = new RecordingHandoff(redis, prefix);
    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256);
    expect(await handoff.offer('prediction-1', bytes.subarray(1000))).toBe(true);
    const taken = await handoff.take('prediction-1');
    expect(taken).toEqual(Buffer.from(bytes.subarray(1000)));
    expect(await handoff.take('prediction-1')).toBeUndefined();
  });

  it('offers a group in one round trip, each file to its own prediction', async () => {
    const handoff = new RecordingHandoff(redis, prefix);
    const files = ['group-1', 'group-2', 'group-3'].map((predictionId, i) => ({
      predictionId,
      bytes: Uint8Array.from({ length: 30_000 + i }, (_, j) => (j * (i + 7)) % 256),
    }));
    expect(await handoff.offerMany(files, { ttlMs: 5_000 })).toEqual([true, true, true]);
    for (const { predictionId, bytes } of files.reverse())
      expect(await handoff.take(predictionId)).toEqual(Buffer.from(bytes));
    const ttl = await redis.pttl(recordingHandoffKey(prefix, 'group-1'));
    expect(ttl).toBe(-2); // taken: gone
  });

  it('refuses uploads over the size limit, leaving the reader to use object storage', async () => {
    const handoff = new RecordingHandoff(redis, prefix);
    expect(await handoff.offer('prediction-2', new Uint8Array(RECORDING_HANDOFF_MAX_BYTES + 1))).toBe(false);
    expect(await redis.exists(recordingHandoffKey(prefix, 'prediction-2'))).toBe(0);
  });

  it('lets an untaken offer expire', async () => {
    const handoff = new RecordingHandoff(redis, prefix, 50);
    await handoff.offer('prediction-3', Uint8Array.of(1, 2, 3));
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await handoff.take('prediction-3')).toBeUndefined();
  });
});
