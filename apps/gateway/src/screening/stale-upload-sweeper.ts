// A gateway that dies mid-upload (killed pod, out of memory) cannot abandon its batch: the batch
// would stay `receiving` for ever, holding the client's Idempotency-Key (every retry answered 409),
// with predictions that were stored but never queued left pending. Every gateway sweeps for such
// batches now and then and ends them as the request itself would have. The same sweep queues again
// any prediction still to screen whose job is gone (its request died between storing and queueing,
// or Redis lost its data): the database and the stored recording are enough to screen it.
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Config } from '@heartbeat/config';
import {
  BatchesRepository,
  PredictionsRepository,
  ScreeningRepository,
  type PendingCursor,
} from '@heartbeat/db';
import { CONFIG } from '../common/tokens';
import { PeriodicTask } from '../common/periodic-task';
import { PredictionQueueRepository } from '../infrastructure/prediction-queue.repository';
import { GatewayMetrics } from '../telemetry/gateway-metrics';
import { endBrokenOffBatch, UPLOAD_ABORTED } from './batch-intake';

export interface StaleUploadSweeperDependencies {
  batches: Pick<BatchesRepository, 'listStaleReceiving' | 'abandonReceiving'>;
  predictions: Pick<PredictionsRepository, 'listPendingIds' | 'listPendingToScreen'>;
  outcomes: Pick<ScreeningRepository, 'failPrediction'>;
  queue: Pick<PredictionQueueRepository, 'removeWaiting' | 'withoutJob' | 'enqueueMany'>;
  /** A receiving batch with no new recording for this long is taken as broken off; a pending prediction this old without a job, as orphaned. */
  quietMs: number;
  /** Rows read per page while looking for orphaned predictions, and pages per sweep. */
  pageSize?: number;
  pagesPerSweep?: number;
  now?: () => number;
}

export interface AbandonedBatch {
  batchId: string;
  /** Its recordings that will not be screened (their predictions failed with UPLOAD_ABORTED). */
  unscreened: number;
}

export interface SweepOutcome {
  batches: AbandonedBatch[];
  /** Pending predictions whose job was gone, queued again. */
  requeued: number;
  /** Pending predictions of broken-off batches whose job was gone (Redis was out or lost it), failed with UPLOAD_ABORTED. */
  failed: number;
}

export const STALE_UPLOAD_MESSAGE =
  'The batch upload broke off before it finished (the gateway receiving it stopped), so this recording was not screened; send the batch again.';

export class StaleUploadSweeper {
  /** Where the orphan scan goes on at the next sweep, so a long backlog is covered over several. */
  private cursor?: PendingCursor;

  constructor(private readonly deps: StaleUploadSweeperDependencies) {}

  /** Ends every stale receiving batch and re-queues orphaned predictions; safe on several gateways at once. */
  async sweep(): Promise<SweepOutcome> {
    const quietSince = new Date((this.deps.now ?? Date.now)() - this.deps.quietMs);
    const batches = await this.sweepBatches(quietSince);
    return { batches, ...(await this.settleOrphans(quietSince)) };
  }

  private async sweepBatches(quietSince: Date): Promise<AbandonedBatch[]> {
    const abandoned: AbandonedBatch[] = [];
    for (const stale of await this.deps.batches.listStaleReceiving(quietSince)) {
      const unscreened = await endBrokenOffBatch(this.deps, stale.id, STALE_UPLOAD_MESSAGE);
      if (unscreened) abandoned.push({ batchId: stale.id, unscreened: unscreened.length });
    }
    return abandoned;
  }

  /**
   * Queues again the pending predictions created before `before` that have no job, and fails those
   * of broken-off batches. The job id is the prediction id, so a gateway racing this one, or a job
   * that appeared meanwhile, is not doubled.
   */
  private async settleOrphans(before: Date): Promise<{ requeued: number; failed: number }> {
    const { predictions, queue, outcomes, pageSize = 500, pagesPerSweep = 20 } = this.deps;
    let requeued = 0;
    let failed = 0;
    for (let page = 0; page < pagesPerSweep; page++) {
      const rows = await predictions.listPendingToScreen(before, { after: this.cursor, limit: pageSize });
      // A short page is the end: the next sweep starts from the oldest again.
      const last = rows.at(-1);
      this.cursor = rows.length === pageSize && last ? { createdAt: last.createdAt, id: last.id } : undefined;
      const orphans = new Set(await queue.withoutJob(rows.map((row) => row.id)));
      for (const row of rows.filter((row) => orphans.has(row.id) && row.batchAbandoned))
        if (
          await outcomes.failPrediction(row.id, row.batchId ?? undefined, {
            code: UPLOAD_ABORTED,
            message: STALE_UPLOAD_MESSAGE,
          })
        )
          failed++;
      const payloads = rows
        .filter((row) => orphans.has(row.id) && !row.batchAbandoned)
        .map((row) => ({
          predictionId: row.id,
          recordingId: row.recordingId,
          storageKey: row.storageKey,
          batchId: row.batchId ?? undefined,
          ...(row.site ? { site: row.site } : {}),
          requestedAt: row.createdAt.toISOString(),
        }));
      await queue.enqueueMany(payloads);
      requeued += payloads.length;
      if (!this.cursor) break;
    }
    return { requeued, failed };
  }
}

/** Runs the sweeper at start-up and every STALE_UPLOAD_SWEEP_INTERVAL_MS while the gateway runs. */
@Injectable()
export class StaleUploadSweepSchedule implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('StaleUploadSweep');
  private readonly sweeper: StaleUploadSweeper;
  private readonly schedule: PeriodicTask;

  constructor(
    @Inject(CONFIG) config: Config,
    @Inject(BatchesRepository) batches: BatchesRepository,
    @Inject(PredictionsRepository) predictions: PredictionsRepository,
    @Inject(ScreeningRepository) outcomes: ScreeningRepository,
    @Inject(PredictionQueueRepository) queue: PredictionQueueRepository,
    @Inject(GatewayMetrics) private readonly metrics: GatewayMetrics,
  ) {
    this.sweeper = new StaleUploadSweeper({
      batches,
      predictions,
      outcomes,
      queue,
      quietMs: config.gateway.staleUploadTimeoutMs,
    });
    this.schedule = new PeriodicTask(() => this.sweep(), config.gateway.staleUploadSweepIntervalMs);
  }

  onApplicationBootstrap(): void {
    this.schedule.start();
  }

  // Before the infrastructure closes its connections (onApplicationShutdown).
  onModuleDestroy(): Promise<void> {
    return this.schedule.stop();
  }

  private sweep(): Promise<void> {
    return this.sweeper
      .sweep()
      .then(({ batches, requeued, failed }) => {
        this.metrics.staleBatchesEnded.inc(batches.length);
        this.metrics.predictionsRequeued.inc(requeued);
        for (const { batchId, unscreened } of batches)
          this.logger.warn(
            `Batch ${batchId} stopped receiving mid-upload; marked failed, ${unscreened} unscreened recording(s) failed with ${UPLOAD_ABORTED}`,
          );
        if (failed > 0)
          this.logger.warn(
            `${failed} pending prediction(s) of broken-off batches had no job; failed with ${UPLOAD_ABORTED}`,
          );
        if (requeued > 0)
          this.logger.warn(
            `${requeued} pending prediction(s) had no job (their request died before queueing it, or Redis lost it); queued again`,
          );
      })
      .catch((error: unknown) =>
        this.logger.warn(`Stale upload sweep failed, will try again: ${(error as Error).message}`),
      );
  }
}
