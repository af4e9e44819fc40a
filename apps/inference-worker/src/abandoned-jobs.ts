// A prediction job can fail for good without its processor ever recording why: a recording that
// crashes the model process at every attempt (a poison recording) is failed by BullMQ itself once it
// has stalled more often than allowed, before the processor is called again. Its prediction would
// stay pending and its batch would never finish. This records such a failure on the prediction row.
import type { ScreeningRepository } from '@heartbeat/db';

export const ABANDONED_JOB_CODE = 'PREDICTION_FAILED';

/** The parts of a failed BullMQ job looked at. */
export interface FailedJob {
  data: unknown;
  attemptsMade: number;
  opts: { attempts?: number };
}

/** True when BullMQ will not try the job again (the queue's dead-letter rule, libs/queue). */
export function failedForGood(job: FailedJob, error: Error): boolean {
  return error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
}

/**
 * Fails the job's prediction if it is still pending (a no-op when the processor already recorded an
 * outcome: only pending rows are finished). Returns true when it failed one.
 */
export async function failAbandonedPrediction(
  screening: Pick<ScreeningRepository, 'failPrediction'>,
  job: FailedJob,
  error: Error,
): Promise<boolean> {
  if (!failedForGood(job, error)) return false;
  const data = job.data as { predictionId?: unknown; batchId?: unknown } | null;
  if (typeof data?.predictionId !== 'string') return false;
  return screening.failPrediction(
    data.predictionId,
    typeof data.batchId === 'string' ? data.batchId : undefined,
    {
      code: ABANDONED_JOB_CODE,
      message: `The recording could not be screened: its job failed for good (${error.message}); a recording that crashes the inference process every time ends here and in the dead-letter queue.`,
    },
  );
}
