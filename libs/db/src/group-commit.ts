// Group commit: writes that arrive while one is in flight (or in the same turn of the event loop)
// go to the database together, one statement for the group, and each caller gets its own row's
// answer. Nothing waits on a timer: a lone write goes out on the next turn, so a quiet service pays
// no latency for it, and a busy one (a dynamic batch of jobs finishing at once, a multipart batch
// whose files finish storing together) pays one round trip per group instead of one per row.

export interface GroupCommitOptions {
  /** Most items per statement (default 64). */
  maxItems?: number;
  /**
   * Write a failed group again item by item (default true), so that one item the database refuses
   * fails alone. Off for a write that is not idempotent: then every item of the group fails with it.
   */
  splitOnFailure?: boolean;
  /**
   * How long a group may wait for more items after its first one arrived (default 0: it goes out on
   * the next turn). A group that reaches maxItems goes at once. For writes nobody waits on item by
   * item (a batch's uploads), where fewer, larger statements matter more than a few milliseconds.
   */
  lingerMs?: number;
}

interface Waiting<T, R> {
  item: T;
  /** When it was submitted (Date.now()), for lingerMs. */
  submittedAt: number;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<T, R> {
  private waiting: Waiting<T, R>[] = [];
  private running = false;
  private readonly maxItems: number;
  private readonly splitOnFailure: boolean;
  private readonly lingerMs: number;
  /** Ends the current linger early (the group is full). */
  private wake?: () => void;

  /**
   * `write` stores a group and returns one answer per item, in order. When a group of more than one
   * fails, each of its items is written again on its own (see splitOnFailure), so one row the
   * database refuses (a check constraint) fails only its own caller; an outage fails every caller of
   * the group, as it would have one by one.
   */
  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    options: GroupCommitOptions = {},
  ) {
    this.maxItems = Math.max(1, options.maxItems ?? 64);
    this.splitOnFailure = options.splitOnFailure ?? true;
    this.lingerMs = Math.max(0, options.lingerMs ?? 0);
  }

  /** Resolves with the item's answer once the statement that carried it has committed. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, submittedAt: this.lingerMs > 0 ? Date.now() : 0, resolve, reject });
      if (this.waiting.length >= this.maxItems) this.wake?.();
      if (!this.running) {
        this.running = true;
        // The next turn: callers resumed by the same event (a model batch's results) join this group.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      if (this.lingerMs > 0) await this.gather();
      const group = this.waiting.splice(0, this.maxItems);
      await this.writeGroup(group);
    }
    this.running = false;
  }

  /** Waits until the oldest waiting item has waited lingerMs, or a full group is waiting. */
  private gather(): Promise<void> {
    const left = this.waiting[0]!.submittedAt + this.lingerMs - Date.now();
    if (left <= 0 || this.waiting.length >= this.maxItems) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, left);
      this.wake = done;
    });
  }

  private async writeGroup(group: Waiting<T, R>[]): Promise<void> {
    let results: R[];
    try {
      results = await this.write(group.map((w) => w.item));
    } catch (error) {
      if (group.length === 1 || !this.splitOnFailure) {
        for (const w of group) w.reject(error);
        return;
      }
      await Promise.all(group.map((w) => this.writeGroup([w])));
      return;
    }
    group.forEach((w, i) => w.resolve(results[i]!));
  }
}
