// Holds the model a process serves and swaps it without dropping work: each user leases the
// current value, a swap makes new leases see the new value at once, and the old value is disposed
// only when its last lease is released (in-flight requests finish on the model they started on).

export interface Lease<T> {
  readonly value: T;
  /** Idempotent: releasing twice counts once. */
  release(): void;
}

interface Entry<T> {
  value: T;
  leases: number;
  retired: boolean;
  /** Settles when the value has been disposed; set when the entry is retired. */
  disposed?: Promise<void>;
  markDisposed?: () => void;
  disposing: boolean;
}

export class HotSwapSlot<T> {
  private currentEntry?: Entry<T>;
  private readonly retiring = new Set<Entry<T>>();

  /** `dispose` frees a value once it is both replaced and unused; its errors go to `onDisposeError`. */
  constructor(
    private readonly dispose: (value: T) => Promise<void> | void,
    private readonly onDisposeError: (error: unknown, value: T) => void = () => undefined,
  ) {}

  get current(): T | undefined {
    return this.currentEntry?.value;
  }

  /** Leases held on values that were replaced and are waiting to be disposed. */
  get retiringLeases(): number {
    let total = 0;
    for (const entry of this.retiring) total += entry.leases;
    return total;
  }

  /** Leases the current value; undefined before the first swap or after close(). */
  acquire(): Lease<T> | undefined {
    const entry = this.currentEntry;
    if (!entry) return undefined;
    entry.leases += 1;
    let released = false;
    return {
      value: entry.value,
      release: () => {
        if (released) return;
        released = true;
        entry.leases -= 1;
        if (entry.retired && entry.leases === 0) this.disposeEntry(entry);
      },
    };
  }

  /**
   * Makes `value` current. The previous value is disposed once its leases are released; the returned
   * promise resolves when that has happened (callers need not wait for it).
   */
  swap(value: T): Promise<void> {
    const previous = this.currentEntry;
    this.currentEntry = { value, leases: 0, retired: false, disposing: false };
    return previous ? this.retire(previous) : Promise.resolve();
  }

  /** Clears the slot and waits until every value was released and disposed. */
  async close(): Promise<void> {
    const previous = this.currentEntry;
    this.currentEntry = undefined;
    if (previous) void this.retire(previous);
    await Promise.all([...this.retiring].map((entry) => entry.disposed));
  }

  private retire(entry: Entry<T>): Promise<void> {
    if (!entry.disposed) {
      entry.retired = true;
      entry.disposed = new Promise<void>((resolve) => (entry.markDisposed = resolve));
      this.retiring.add(entry);
      if (entry.leases === 0) this.disposeEntry(entry);
    }
    return entry.disposed;
  }

  private disposeEntry(entry: Entry<T>): void {
    if (entry.disposing) return;
    entry.disposing = true;
    void (async () => {
      try {
        await this.dispose(entry.value);
      } catch (error) {
        this.onDisposeError(error, entry.value);
      } finally {
        this.retiring.delete(entry);
        entry.markDisposed?.();
      }
    })();
  }
}
