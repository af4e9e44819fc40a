// Hands the bytes of an upload (/predict, and batch files) to whichever inference worker takes its
// job, through Redis, so the worker does not read back from object storage what the gateway has just
// written there. Object storage stays the durable copy: a handoff that expired, was evicted or was
// already taken (a retried job) makes the worker fall back to reading storage. A gateway bounds what
// it has offered and not yet seen expire (budgetBytes), so a batch that uploads faster than workers
// screen cannot fill Redis: past the budget, files are simply not handed off.
import type { Redis } from 'ioredis';

/** Uploads larger than this are never handed off (bounded Redis memory per request). */
export const RECORDING_HANDOFF_MAX_BYTES = 1024 * 1024;
/** A job not started within this time reads its recording from storage instead. */
export const RECORDING_HANDOFF_TTL_MS = 10_000;
/** Batch files wait behind the rest of their batch: they are offered for longer. */
export const BATCH_HANDOFF_TTL_MS = 60_000;
/** Bytes one gateway may have offered and not yet seen expire (default budget). */
export const RECORDING_HANDOFF_BUDGET_BYTES = 64 * 1024 * 1024;

/** One handoff per prediction job (not per content: two uploads of one file are two handoffs). */
export function recordingHandoffKey(prefix: string, predictionId: string): string {
  return `${prefix}:handoff:${predictionId}`;
}

type HandoffRedis = Pick<Redis, 'set' | 'getdelBuffer'>;

export class RecordingHandoff {
  /** Offers not yet expired, oldest first, and their bytes in all. */
  private readonly outstanding: { expiresAt: number; bytes: number }[] = [];
  private outstandingBytes = 0;

  constructor(
    private readonly redis: HandoffRedis,
    private readonly prefix: string,
    private readonly ttlMs = RECORDING_HANDOFF_TTL_MS,
    private readonly budgetBytes = RECORDING_HANDOFF_BUDGET_BYTES,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Offers the recording of one prediction job; returns false (and stores nothing) when it is too
   * large or the budget is spent.
   */
  async offer(predictionId: string, bytes: Uint8Array, { ttlMs = this.ttlMs } = {}): Promise<boolean> {
    if (bytes.byteLength > RECORDING_HANDOFF_MAX_BYTES) return false;
    const now = this.now();
    while (this.outstanding.length > 0 && this.outstanding[0]!.expiresAt <= now)
      this.outstandingBytes -= this.outstanding.shift()!.bytes;
    if (this.outstandingBytes + bytes.byteLength > this.budgetBytes) return false;
    this.outstanding.push({ expiresAt: now + ttlMs, bytes: bytes.byteLength });
    this.outstandingBytes += bytes.byteLength;
    // Kept in expiry order although TTLs differ: a longer offer only holds the budget a little longer.
    this.outstanding.sort((a, b) => a.expiresAt - b.expiresAt);
    await this.redis.set(
      recordingHandoffKey(this.prefix, predictionId),
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      'PX',
      ttlMs,
    );
    return true;
  }

  /** The offered bytes, removed as they are read; undefined when none are waiting. */
  async take(predictionId: string): Promise<Buffer | undefined> {
    return (await this.redis.getdelBuffer(recordingHandoffKey(this.prefix, predictionId))) ?? undefined;
  }
}
