import { describe, expect, it } from 'vitest';
import { RecordingHandoff } from './recording-handoff';

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
});
