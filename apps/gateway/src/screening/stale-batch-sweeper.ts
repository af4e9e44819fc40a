// A gateway that dies mid-upload (killed pod, out of memory) cannot abandon its batch: the batch
// would stay `receiving` for ever, holding the client's Idempotency-Key (every retry answered 409),
// with predictions that were stored but never queued left pending. Every gateway sweeps for such
// batches now and then and ends them as BatchIntake.abandon() would have.
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Config } from '@heartbeat/config';
import { BatchesRepository, PredictionsRepository } from '@heartbeat/db';
import { CONFIG } from '../common/tokens';
import { PredictionQueueRepository } from '../infrastructure/prediction-queue.repository';
import { UPLOAD_ABORTED } from './batch-intake';

export interface StaleBatchSweeperDependencies {
  batches: Pick<BatchesRepository, 'listStaleReceiving' | 'abandonReceiving'>;
  predictions: Pick<PredictionsRepository, 'listPendingIds' | 'fail'>;
  queue: Pick<PredictionQueueRepository, 'removeWaiting' | 'withoutJob'>;
  /** A receiving batch with no new recording for this long is taken as broken off. */
  quietMs: number;
  now?: () => number;
}

export interface AbandonedBatch {
  batchId: string;
  /** Its recordings that will not be screened (their predictions failed with UPLOAD_ABORTED). */
  unscreened: number;
}

export const STALE_UPLOAD_MESSAGE =
  'The batch upload broke off before it finished (the gateway receiving it stopped), so this recording was not screened; send the batch again.';

export class StaleBatchSweeper {
  constructor(private readonly deps: StaleBatchSweeperDependencies) {}

  /** Ends every stale receiving batch; safe to run on several gateways at once. */
  async sweep(): Promise<AbandonedBatch[]> {
    const { batches, predictions, queue } = this.deps;
    const quietSince = new Date((this.deps.now ?? Date.now)() - this.deps.quietMs);
    const abandoned: AbandonedBatch[] = [];
    for (const stale of await batches.listStaleReceiving(quietSince)) {
      // Only the gateway whose UPDATE changes the row goes on; for the others it is no longer receiving.
      if (!(await batches.abandonReceiving(stale.id))) continue;
      const pending = await predictions.listPendingIds(stale.id);
      const removed = await queue.removeWaiting(pending);
      const neverQueued = await queue.withoutJob(pending.filter((id) => !removed.includes(id)));
      const unscreened = [...removed, ...neverQueued];
      for (const id of unscreened)
        await predictions.fail(id, { code: UPLOAD_ABORTED, message: STALE_UPLOAD_MESSAGE });
      abandoned.push({ batchId: stale.id, unscreened: unscreened.length });
    }
    return abandoned;
  }
}

/** Runs the sweeper at start-up and every BATCH_SWEEP_INTERVAL_MS while the gateway runs. */
@Injectable()
export class StaleBatchSweepSchedule implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('StaleBatchSweep');
  private readonly sweeper: StaleBatchSweeper;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(BatchesRepository) batches: BatchesRepository,
    @Inject(PredictionsRepository) predictions: PredictionsRepository,
    @Inject(PredictionQueueRepository) queue: PredictionQueueRepository,
  ) {
    this.sweeper = new StaleBatchSweeper({
      batches,
      predictions,
      queue,
      quietMs: config.gateway.batchReceivingTimeoutMs,
    });
  }

  onApplicationBootstrap(): void {
    this.sweepNow();
    this.timer = setInterval(() => this.sweepNow(), this.config.gateway.batchSweepIntervalMs);
    this.timer.unref();
  }

  // Before the infrastructure closes its connections (onApplicationShutdown).
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private sweepNow(): void {
    if (this.running) return;
    this.running = this.sweeper
      .sweep()
      .then((abandoned) => {
        for (const { batchId, unscreened } of abandoned)
          this.logger.warn(
            `Batch ${batchId} stopped receiving mid-upload; marked failed, ${unscreened} unscreened recording(s) failed with ${UPLOAD_ABORTED}`,
          );
      })
      .catch((error: unknown) =>
        this.logger.warn(`Stale batch sweep failed, will try again: ${(error as Error).message}`),
      )
      .finally(() => (this.running = undefined));
  }
}
