// A training run is long; object storage or the database being out of reach for a minute must cost
// the run that minute, not the run. Steps that need them go through OutageWait, which tries again
// while the error says a dependency is unreachable, and gives up with a message naming it.
import { setTimeout as sleep } from 'node:timers/promises';

export interface OutageWaitSettings {
  /** Names the system an error says is out of reach ('Object storage', 'The database'), else undefined. */
  unavailableDependency: (error: unknown) => string | undefined;
  /** Pause between tries (ms). */
  retryMs: number;
  /** How long one step may wait in all before the run fails (ms). */
  limitMs: number;
  /** Told every time a step finds a dependency out of reach (the dependency-error counter). */
  onUnavailable?: (dependency: string, step: string) => void;
}

export class DependencyOutageError extends Error {
  constructor(
    readonly dependency: string,
    step: string,
    waitedMs: number,
    cause: unknown,
  ) {
    super(
      `${dependency} was out of reach for ${Math.round(waitedMs / 1000)} s while ${step} (${(cause as Error).message}); ` +
        'the run stopped. Start a new run once it is back',
      { cause },
    );
    this.name = 'DependencyOutageError';
  }
}

export class OutageWait {
  constructor(
    private readonly settings: OutageWaitSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Runs `attempt`; while it fails because a dependency is out of reach, reports the wait through
   * `onWait`, pauses, calls `beforeRetry` (which may throw, e.g. on cancellation) and tries again.
   * Any other error, and an outage longer than the limit, is thrown.
   */
  async run<T>(
    step: string,
    attempt: () => Promise<T>,
    hooks: { onWait?: (message: string) => void; beforeRetry?: () => void } = {},
  ): Promise<T> {
    const started = this.now();
    for (;;) {
      try {
        return await attempt();
      } catch (error) {
        const dependency = this.settings.unavailableDependency(error);
        if (!dependency) throw error;
        this.settings.onUnavailable?.(dependency, step);
        const waited = this.now() - started;
        if (waited >= this.settings.limitMs) throw new DependencyOutageError(dependency, step, waited, error);
        hooks.onWait?.(
          `${dependency} is out of reach while ${step}; trying again in ${duration(this.settings.retryMs)}`,
        );
        await sleep(this.settings.retryMs);
        hooks.beforeRetry?.();
      }
    }
  }
}

const duration = (ms: number) => (ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`);
