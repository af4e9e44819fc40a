import { describe, expect, it } from 'vitest';
import { RECORDING_HANDOFF_MAX_BYTES, RecordingHandoff } from './recording-handoff';

describe('RecordingHandoff budget', () => {
  it('stops offering past its budget of unexpired bytes, and offers again as earlier offers expire', async () => {
    const stored: { key: string; ttlMs: number }[] = [];
    const redis = {
      set: async (key: string, _value: Buffer, _px: 'PX', ttlMs: number) => (
        stored.push({ key, ttlMs }),
        'OK'
      ),
      getdelBuffer: async () => null,
    };
    let now = 0;
    const handoff = new RecordingHandoff(redis as never, 'hb', 1_000, 250, () => now);
    expect(await handoff.offer('a', new Uint8Array(100))).toBe(true);
    expect(await handoff.offer('b', new Uint8Array(100), { ttlMs: 5_000 })).toBe(true);
    expect(await handoff.offer('c', new Uint8Array(100))).toBe(false);
    now = 1_000; // a has expired; b has not
    expect(await handoff.offer('c', new Uint8Array(100))).toBe(true);
    expect(await handoff.offer('d', new Uint8Array(100))).toBe(false);
    expect(stored).toEqual([
      { key: 'hb:handoff:a', ttlMs: 1_000 },
      { key: 'hb:handoff:b', ttlMs: 5_000 },
      { key: 'hb:handoff:c', ttlMs: 1_000 },
    ]);
  });

  it('counts offers a worker has taken no more, so a batch screened as it uploads keeps handing off', async () => {
    const inRedis = new Set<string>();
    const redis = {
      set: async (key: string) => (inRedis.add(key), 'OK'),
      getdelBuffer: async (key: string) => (inRedis.delete(key) ? Buffer.alloc(100) : null),
      pipeline: () => {
        const keys: string[] = [];
        const pipeline = {
          exists: (key: string) => (keys.push(key), pipeline),
          exec: async () => keys.map((key) => [null, inRedis.has(key) ? 1 : 0]),
        };
        return pipeline;
      },
    };
    let now = 0;
    const handoff = new RecordingHandoff(redis as never, 'hb', 60_000, 250, () => now);
    expect(await handoff.offer('a', new Uint8Array(100))).toBe(true);
    expect(await handoff.offer('b', new Uint8Array(100))).toBe(true);
    expect(await handoff.take('a')).toBeDefined();
    now = 1_000; // long before a's offer would have expired
    expect(await handoff.offer('c', new Uint8Array(100))).toBe(true);
    expect(await handoff.offer('d', new Uint8Array(100))).toBe(false);
    expect([...inRedis]).toEqual(['hb:handoff:b', 'hb:handoff:c']);
  });

  it('offers a group in one pipeline, in order while the budget lasts, never a file over the size limit', async () => {
    const writes: { key: string; ttlMs: number }[][] = [];
    const redis = {
      set: async () => {
        throw new Error('a group goes in one pipeline');
      },
      getdelBuffer: async () => null,
      pipeline: () => {
        const sets: { key: string; ttlMs: number }[] = [];
        const pipeline = {
          set: (key: string, _value: Buffer, _px: 'PX', ttlMs: number) => (
            sets.push({ key, ttlMs }),
            pipeline
          ),
          exists: () => pipeline, // the budget's look for taken offers (none here)
          exec: async () => (sets.length > 0 ? (writes.push(sets), sets.map(() => [null, 'OK'])) : []),
        };
        return pipeline;
      },
    };
    const handoff = new RecordingHandoff(redis as never, 'hb', 1_000, 250, () => 0);
    const offered = await handoff.offerMany(
      [
        { predictionId: 'a', bytes: new Uint8Array(100) },
        { predictionId: 'huge', bytes: new Uint8Array(RECORDING_HANDOFF_MAX_BYTES + 1) },
        { predictionId: 'b', bytes: new Uint8Array(100) },
        { predictionId: 'c', bytes: new Uint8Array(100) },
        { predictionId: 'd', bytes: new Uint8Array(40) },
      ],
      { ttlMs: 60_000 },
    );
    expect(offered).toEqual([true, false, true, false, true]);
    expect(writes).toEqual([
      [
        { key: 'hb:handoff:a', ttlMs: 60_000 },
        { key: 'hb:handoff:b', ttlMs: 60_000 },
        { key: 'hb:handoff:d', ttlMs: 60_000 },
      ],
    ]);
  });

  it('fails the group when Redis refuses a write, so the caller knows it was not handed off', async () => {
    const redis = {
      pipeline: () => {
        const pipeline = {
          set: () => pipeline,
          exec: async () => [
            [null, 'OK'],
            [new Error('OOM command not allowed'), null],
          ],
        };
        return pipeline;
      },
    };
    const handoff = new RecordingHandoff(redis as never, 'hb');
    await expect(
      handoff.offerMany([
        { predictionId: 'a', bytes: new Uint8Array(10) },
        { predictionId: 'b', bytes: new Uint8Array(10) },
      ]),
    ).rejects.toThrow('OOM');
  });
});
