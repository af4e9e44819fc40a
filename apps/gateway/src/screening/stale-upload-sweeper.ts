// A gateway that dies mid-upload (killed pod, out of memory) cannot abandon its batch: the batch
// would stay `receiving` for ever, holding the client's Idempotency-Key (every retry answered 409),
// with predictions that were stored but never queued left pending. The same death between storing a
// /predict recording and queueing it leaves that prediction pending. Every gateway sweeps for both
// now and then and ends them as the request itself would have.
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
import { GatewayMetrics } from '../telemetry/gateway-metrics';
import { NOT_QUEUED, UPLOAD_ABORTED } from './batch-intake';

export interface StaleUploadSweeperDependencies {
  batches: Pick<BatchesRepository, 'listStaleReceiving' | 'abandonReceiving'>;
  predictions: Pick<PredictionsRepository, 'listPendingIds' | 'listPendingSingles' | 'fail'>;
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

export interface SweepOutcome {
  batches: AbandonedBatch[];
  /** Single recordings (/predict) stored but never queued, failed with NOT_QUEUED. */
  neverQueued: number;
}

export const NEVER_QUEUED_MESSAGE =
  'The request that stored this recording ended before it was queued for screening, so it was not screened; send it again.';

export const STALE_UPLOAD_MESSAGE =
  'The batch upload broke off before it finished (the gateway receiving it stopped), so this recording was not screened; send the batch again.';

export class StaleUploadSweeper {
  constructor(private readonly deps: StaleUploadSweeperDependencies) {}

  /** Ends every stale receiving batch and single recording never queued; safe on several gateways at once. */
  async sweep(): Promise<SweepOutcome> {
    const quietSince = new Date((this.deps.now ?? Date.now)() - this.deps.quietMs);
    return { batches: await this.sweepBatches(quietSince), neverQueued: await this.sweepSingles(quietSince) };
  }

  private async sweepBatches(quietSince: Date): Promise<AbandonedBatch[]> {
    const { batches, predictions, queue } = this.deps;
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

  /** A pending single prediction this old with no job at all can no longer be screened. */
  private async sweepSingles(before: Date): Promise<number> {
    const { predictions, queue } = this.deps;
    const orphans = await queue.withoutJob(await predictions.listPendingSingles(before));
    for (const id of orphans) await predictions.fail(id, { code: NOT_QUEUED, message: NEVER_QUEUED_MESSAGE });
    return orphans.length;
  }
}

/** Runs the sweeper at start-up and every STALE_UPLOAD_SWEEP_INTERVAL_MS while the gateway runs. */
@Injectable()
export class StaleUploadSweepSchedule implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('StaleUploadSweep');
  private readonly sweeper: StaleUploadSweeper;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(BatchesRepository) batches: BatchesRepository,
    @Inject(PredictionsRepository) predictions: PredictionsRepository,
    @Inject(PredictionQueueRepository) queue: PredictionQueueRepository,
    @Inject(GatewayMetrics) private readonly metrics: GatewayMetrics,
  ) {
    this.sweeper = new StaleUploadSweeper({
      batches,
      predictions,
      queue,
      quietMs: config.gateway.staleUploadTimeoutMs,
    });
  }

  onApplicationBootstrap(): void {
    this.sweepNow();
    this.timer = setInterval(() => this.sweepNow(), this.config.gateway.staleUploadSweepIntervalMs);
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
      .then(({ batches, neverQueued }) => {
        this.metrics.staleUploadsEnded.inc({ kind: 'batch' }, batches.length);
        this.metrics.staleUploadsEnded.inc({ kind: 'single' }, neverQueued);
        for (const { batchId, unscreened } of batches)
          this.logger.warn(
            `Batch ${batchId} stopped receiving mid-upload; marked failed, ${unscreened} unscreened recording(s) failed with ${UPLOAD_ABORTED}`,
          );
        if (neverQueued > 0)
          this.logger.warn(
            `${neverQueued} recording(s) stored but never queued (their request ended first) failed with ${NOT_QUEUED}`,
          );
      })
      .catch((error: unknown) =>
        this.logger.warn(`Stale upload sweep failed, will try again: ${(error as Error).message}`),
      )
      .finally(() => (this.running = undefined));
  }
}
