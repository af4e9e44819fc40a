// Hands the bytes of an upload (/predict, and batch files) to whichever inference worker takes its
// job, through Redis, so the worker does not read back from object storage what the gateway has just
// written there. Object storage stays the durable copy: a handoff that expired, was evicted or was
// already taken (a retried job) makes the worker fall back to reading storage. A gateway bounds what
// it has offered and not yet seen expire or taken (budgetBytes), so a batch that uploads faster than
// workers screen cannot fill Redis: past the budget, files are simply not handed off.
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

/**
 * Past the budget, the oldest offers (at most this many) are looked up in Redis: those a worker
 * has taken no longer count. Workers take a batch's jobs about in order, so the oldest are the
 * ones gone; a bounded look keeps the cost per check flat however many offers are outstanding.
 */
const TAKEN_CHECK_LIMIT = 128;
/** At most one such look per interval; offers past the budget in between are refused. */
const TAKEN_CHECK_INTERVAL_MS = 20;

type HandoffRedis = Pick<Redis, 'set' | 'getdelBuffer' | 'pipeline'>;

interface Offer {
  key: string;
  expiresAt: number;
  bytes: number;
}

export class RecordingHandoff {
  /** Offers neither expired nor known to be taken, in expiry order, and their bytes in all. */
  private outstanding: Offer[] = [];
  private outstandingBytes = 0;
  private takenCheck?: Promise<void>;
  private lastTakenCheck = -Infinity;

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
    const [offered] = await this.offerMany([{ predictionId, bytes }], { ttlMs });
    return offered!;
  }

  /**
   * offer() for several recordings (a group of batch files), written to Redis in one round trip;
   * answers in the order given. Each is offered while the budget lasts, so the first ones win.
   */
  async offerMany(
    offers: readonly { predictionId: string; bytes: Uint8Array }[],
    { ttlMs = this.ttlMs } = {},
  ): Promise<boolean[]> {
    const fits = offers.map(({ bytes }) => bytes.byteLength <= RECORDING_HANDOFF_MAX_BYTES);
    if (!fits.includes(true)) return fits;
    this.forgetExpired();
    const wanted = offers.reduce((sum, { bytes }, i) => sum + (fits[i] ? bytes.byteLength : 0), 0);
    if (this.outstandingBytes + wanted > this.budgetBytes) await this.forgetTaken();
    const stores: { key: string; value: Buffer }[] = [];
    const offered = offers.map(({ predictionId, bytes }, i) => {
      if (!fits[i] || this.outstandingBytes + bytes.byteLength > this.budgetBytes) return false;
      const key = recordingHandoffKey(this.prefix, predictionId);
      this.remember({ key, expiresAt: this.now() + ttlMs, bytes: bytes.byteLength });
      stores.push({ key, value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
      return true;
    });
    if (stores.length === 1) await this.redis.set(stores[0]!.key, stores[0]!.value, 'PX', ttlMs);
    else if (stores.length > 1) {
      const pipeline = this.redis.pipeline();
      for (const { key, value } of stores) pipeline.set(key, value, 'PX', ttlMs);
      const answers = await pipeline.exec();
      const failure = answers?.find(([error]) => error)?.[0];
      if (failure) throw failure;
    }
    return offered;
  }

  /** Counts an offer in the budget, kept in expiry order (usually the end: most offers of a gateway share one TTL). */
  private remember(offer: Offer): void {
    let at = this.outstanding.length;
    while (at > 0 && this.outstanding[at - 1]!.expiresAt > offer.expiresAt) at -= 1;
    this.outstanding.splice(at, 0, offer);
    this.outstandingBytes += offer.bytes;
  }

  private forgetExpired(): void {
    const now = this.now();
    let expired = 0;
    while (expired < this.outstanding.length && this.outstanding[expired]!.expiresAt <= now)
      this.outstandingBytes -= this.outstanding[expired++]!.bytes;
    if (expired > 0) this.outstanding.splice(0, expired);
  }

  /** Stops counting the oldest offers that workers have taken (one Redis round trip, shared by concurrent offers). */
  private forgetTaken(): Promise<void> {
    if (this.takenCheck) return this.takenCheck;
    if (this.now() - this.lastTakenCheck < TAKEN_CHECK_INTERVAL_MS) return Promise.resolve();
    this.lastTakenCheck = this.now();
    const checked = this.outstanding.slice(0, TAKEN_CHECK_LIMIT);
    this.takenCheck = (async () => {
      try {
        const pipeline = this.redis.pipeline();
        for (const offer of checked) pipeline.exists(offer.key);
        const answers = await pipeline.exec();
        const taken = new Set(checked.filter((_, i) => answers?.[i]?.[0] === null && answers[i]![1] === 0));
        if (taken.size === 0) return;
        this.outstanding = this.outstanding.filter((offer) => !taken.has(offer));
        this.outstandingBytes = this.outstanding.reduce((sum, offer) => sum + offer.bytes, 0);
      } catch {
        // Not knowing only means counting those offers until they expire.
      } finally {
        this.takenCheck = undefined;
      }
    })();
    return this.takenCheck;
  }

  /** The offered bytes, removed as they are read; undefined when none are waiting. */
  async take(predictionId: string): Promise<Buffer | undefined> {
    return (await this.redis.getdelBuffer(recordingHandoffKey(this.prefix, predictionId))) ?? undefined;
  }
}
