// Out-of-band signals about a training run, shared by the gateway (which raises them) and the
// training worker (which honours them): a cancel request, and the lease a worker holds on the run it
// is executing, so a restarted worker can tell a run orphaned by a crash from one still in progress.

/** Minimal Redis surface (an ioredis client satisfies it). */
export interface TrainingControlStore {
  set(key: string, value: string, mode: 'PX', milliseconds: number): Promise<unknown>;
  get(key: string): Promise<string | null>;
  del(key: string): Promise<unknown>;
}

/** How long a cancel request waits for a worker to see it. */
export const TRAINING_CANCEL_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** A worker refreshes its lease every third of this; a lease that expires means the worker died. */
export const TRAINING_LEASE_TTL_MS = 15_000;

export const trainingCancelKey = (prefix: string, runId: string) => `${prefix}:training:cancel:${runId}`;
export const trainingLeaseKey = (prefix: string, runId: string) => `${prefix}:training:lease:${runId}`;

export async function requestTrainingCancel(
  store: TrainingControlStore,
  prefix: string,
  runId: string,
): Promise<void> {
  await store.set(trainingCancelKey(prefix, runId), new Date().toISOString(), 'PX', TRAINING_CANCEL_TTL_MS);
}

export async function isTrainingCancelRequested(
  store: TrainingControlStore,
  prefix: string,
  runId: string,
): Promise<boolean> {
  return (await store.get(trainingCancelKey(prefix, runId))) !== null;
}

/** Whether a live worker currently holds the run (its lease has not expired). */
export async function isTrainingRunLeased(
  store: TrainingControlStore,
  prefix: string,
  runId: string,
): Promise<boolean> {
  return (await store.get(trainingLeaseKey(prefix, runId))) !== null;
}
