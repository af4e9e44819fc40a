// A model process that crashes takes every job it had in flight with it, and each of them has its
// stalled count raised when it is handed back (StalledJobReclaimer); past BullMQ's limit a job fails
// for good. With several jobs per process, recordings that merely shared a process with a poison
// recording twice were failed with it (2 of 1,000 in the fault suite). A job that has already been
// in a crash is therefore run alone in its process: no other job starts while it runs, and it
// starts once the jobs running have finished. A job that arrives while a lone job runs or waits is
// handed back to the queue for later (mustDefer), since one that waited here would be counted as
// stalled with the lone job if it crashed the process again (seen once in the fault suite: 1 of
// 1,000). A job being handed back is still held by the process for a Redis round trip, and BullMQ
// keeps fetching jobs while the lone one runs, so a crash could still catch one (seen once more in
// CI); the lone job is therefore also named in Redis while it runs (LoneJobMarks), and the
// reclaimer then counts the crash against it alone.

/** A readers-writer lock: `shared` for ordinary jobs, `alone` for jobs that were in a crash. */
export class CrashIsolation {
  private running = 0;
  private exclusive = false;
  private readonly waiting: { alone: boolean; start: () => void }[] = [];

  /** True while a job runs alone here or waits to: a job arriving now should not wait in this process. */
  mustDefer(): boolean {
    return this.exclusive || this.waiting.some((waiting) => waiting.alone);
  }

  /** Runs `task` next to other ordinary jobs, but never beside a job running alone. */
  shared<T>(task: () => Promise<T>): Promise<T> {
    return this.run(false, task);
  }

  /** Runs `task` with no other job running in this process. */
  alone<T>(task: () => Promise<T>): Promise<T> {
    return this.run(true, task);
  }

  /** `job.stalledCounter > 0`: the job was in flight in a process that died (or stalled). */
  run<T>(alone: boolean, task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        if (alone) this.exclusive = true;
        this.running++;
        task()
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            if (alone) this.exclusive = false;
            this.drain();
          });
      };
      // In order: nothing overtakes a job waiting to run alone (it would starve otherwise).
      if (this.waiting.length === 0 && this.canStart(alone)) start();
      else this.waiting.push({ alone, start });
    });
  }

  private canStart(alone: boolean): boolean {
    return !this.exclusive && (!alone || this.running === 0);
  }

  private drain(): void {
    while (this.waiting.length > 0 && this.canStart(this.waiting[0]!.alone)) this.waiting.shift()!.start();
  }
}
