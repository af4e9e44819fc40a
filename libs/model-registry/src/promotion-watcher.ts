// Tells a serving process when the promoted model version changes. A Redis announcement
// (MODEL_PROMOTED_CHANNEL) triggers an immediate check; a poll of the database catches anything
// the announcement missed (Redis restart, a promotion made with SQL). Either way the database
// decides which version is promoted, so a stray or stale message can never load the wrong model.
import type { ModelVersion } from '@heartbeat/db';
import { MODEL_PROMOTED_CHANNEL } from '@heartbeat/queue';

/** A dedicated Redis connection in subscriber mode (ioredis: `redis.duplicate()`). */
export interface PromotionSubscriber {
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  off(event: 'message', listener: (channel: string, message: string) => void): unknown;
}

export interface PromotionWatcherOptions {
  findPromoted: () => Promise<ModelVersion | undefined>;
  /** The version being served right now, to compare against. */
  currentVersion: () => string | undefined;
  /** Loads and switches to `version`; a rejection is reported and retried at the next check. */
  onPromoted: (version: string) => Promise<void>;
  subscriber?: PromotionSubscriber;
  pollIntervalMs: number;
  onError?: (error: unknown) => void;
}

export class PromotionWatcher {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private readonly listener = (channel: string) => {
    if (channel === MODEL_PROMOTED_CHANNEL) void this.check();
  };

  constructor(private readonly options: PromotionWatcherOptions) {}

  async start(): Promise<void> {
    if (this.options.subscriber) {
      this.options.subscriber.on('message', this.listener);
      await this.options.subscriber.subscribe(MODEL_PROMOTED_CHANNEL);
    }
    this.timer = setInterval(() => void this.check(), this.options.pollIntervalMs);
    this.timer.unref();
  }

  /**
   * Compares the promoted version with the served one and swaps when they differ. Checks never
   * overlap: one requested while another runs is run once more afterwards.
   */
  check(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          const promoted = await this.options.findPromoted();
          if (promoted && promoted.version !== this.options.currentVersion() && !this.stopped)
            await this.options.onPromoted(promoted.version);
        } catch (error) {
          this.options.onError?.(error);
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.options.subscriber) {
      this.options.subscriber.off('message', this.listener);
      await this.options.subscriber.unsubscribe(MODEL_PROMOTED_CHANNEL).catch(() => undefined);
    }
    await this.running;
  }
}
