// Hands the bytes of a small interactive upload (/predict) to whichever inference worker takes its
// job, through Redis, so the worker does not read back from object storage what the gateway has just
// written there. Object storage stays the durable copy: a handoff that expired, was evicted or was
// already taken (a retried job) makes the worker fall back to reading storage.
import type { Redis } from 'ioredis';

/** Uploads larger than this are never handed off (bounded Redis memory per request). */
export const RECORDING_HANDOFF_MAX_BYTES = 1024 * 1024;
/** A job not started within this time reads its recording from storage instead. */
export const RECORDING_HANDOFF_TTL_MS = 10_000;

/** One handoff per prediction job (not per content: two uploads of one file are two handoffs). */
export function recordingHandoffKey(prefix: string, predictionId: string): string {
  return `${prefix}:handoff:${predictionId}`;
}

type HandoffRedis = Pick<Redis, 'set' | 'getdelBuffer'>;

export class RecordingHandoff {
  constructor(
    private readonly redis: HandoffRedis,
    private readonly prefix: string,
    private readonly ttlMs = RECORDING_HANDOFF_TTL_MS,
  ) {}

  /** Offers the recording of one prediction job; returns false (and stores nothing) when it is too large. */
  async offer(predictionId: string, bytes: Uint8Array): Promise<boolean> {
    if (bytes.byteLength > RECORDING_HANDOFF_MAX_BYTES) return false;
    await this.redis.set(
      recordingHandoffKey(this.prefix, predictionId),
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      'PX',
      this.ttlMs,
    );
    return true;
  }

  /** The offered bytes, removed as they are read; undefined when none are waiting. */
  async take(predictionId: string): Promise<Buffer | undefined> {
    return (await this.redis.getdelBuffer(recordingHandoffKey(this.prefix, predictionId))) ?? undefined;
  }
}
