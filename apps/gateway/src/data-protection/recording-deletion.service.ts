// Deleting what the gateway holds about a recording: its audio in the bucket (unless another
// recording holds the same bytes), its row, its predictions and training samples (cascade), with an
// audit event naming no file name. The retention schedule purges screened recordings older than
// RECORDING_RETENTION_DAYS through the same path.
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Config } from '@heartbeat/config';
import { AuditRepository, RecordingsRepository } from '@heartbeat/db';
import { ObjectStorage } from '@heartbeat/storage';
import { notFound } from '../common/api-error';
import { CONFIG } from '../common/tokens';
import { PeriodicTask } from '../common/periodic-task';

export interface RecordingDeletedDto {
  recordingId: string;
  deletedPredictions: number;
  deletedTrainingSamples: number;
  /** False when another recording holds the same bytes: the object stays for it. */
  objectDeleted: boolean;
}

export interface RetentionPurge {
  cutoff: string;
  purged: number;
  objectsDeleted: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const PURGE_PAGE = 100;

@Injectable()
export class RecordingDeletionService {
  constructor(
    @Inject(RecordingsRepository)
    private readonly recordings: Pick<
      RecordingsRepository,
      'findById' | 'usage' | 'delete' | 'listScreenedCreatedBefore'
    >,
    @Inject(ObjectStorage) private readonly storage: Pick<ObjectStorage, 'delete'>,
    @Inject(AuditRepository) private readonly audit: Pick<AuditRepository, 'record'>,
  ) {}

  /**
   * The object goes first: if the bucket is out of reach nothing changes (503, retry); if the
   * database fails after it, a retry deletes the missing object again (a no-op) and then the rows.
   */
  async delete(
    id: string,
    actorKeyId?: string,
    reason: 'request' | 'retention' = 'request',
  ): Promise<RecordingDeletedDto> {
    const recording = await this.recordings.findById(id);
    if (!recording) throw notFound('RECORDING_NOT_FOUND', 'recording', id);
    const usage = await this.recordings.usage(recording);
    const objectDeleted = usage.sharingObject === 0;
    if (objectDeleted) await this.storage.delete(recording.storageKey);
    await this.recordings.delete(id);
    const outcome = {
      recordingId: id,
      deletedPredictions: usage.predictions,
      deletedTrainingSamples: usage.trainingSamples,
      objectDeleted,
    };
    if (reason === 'request')
      await this.audit.record({
        actorKeyId,
        action: 'recording.deleted',
        subjectType: 'recording',
        subjectId: id,
        details: { ...outcome },
      });
    return outcome;
  }

  /** Deletes every screened recording created more than `days` days before `now`; one audit event for the purge. */
  async purgeOlderThan(days: number, now = Date.now()): Promise<RetentionPurge> {
    const cutoff = new Date(now - days * DAY_MS);
    let purged = 0;
    let objectsDeleted = 0;
    for (;;) {
      const ids = await this.recordings.listScreenedCreatedBefore(cutoff, PURGE_PAGE);
      for (const id of ids) {
        const outcome = await this.delete(id, undefined, 'retention').catch((error: unknown) => {
          // Deleted meanwhile by someone else: nothing left to do for it.
          if ((error as { code?: string }).code === 'RECORDING_NOT_FOUND') return undefined;
          throw error;
        });
        if (!outcome) continue;
        purged++;
        if (outcome.objectDeleted) objectsDeleted++;
      }
      if (ids.length < PURGE_PAGE) break;
    }
    const result = { cutoff: cutoff.toISOString(), purged, objectsDeleted };
    if (purged > 0)
      await this.audit.record({
        action: 'recording.retention_purge',
        subjectType: 'recording',
        details: { ...result, retentionDays: days },
      });
    return result;
  }
}

/** Runs the retention purge at start-up and every hour while RECORDING_RETENTION_DAYS is above 0. */
@Injectable()
export class RetentionSchedule implements OnApplicationBootstrap, OnModuleDestroy {
  static readonly INTERVAL_MS = 60 * 60 * 1000;
  private readonly logger = new Logger('RecordingRetention');
  private readonly schedule = new PeriodicTask(() => this.purge(), RetentionSchedule.INTERVAL_MS);

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(RecordingDeletionService) private readonly deletion: RecordingDeletionService,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.gateway.recordingRetentionDays > 0) this.schedule.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.schedule.stop();
  }

  private purge(): Promise<void> {
    const days = this.config.gateway.recordingRetentionDays;
    return this.deletion
      .purgeOlderThan(days)
      .then(({ purged, objectsDeleted, cutoff }) => {
        if (purged > 0)
          this.logger.log(
            `Retention (${days} days): purged ${purged} recording(s) created before ${cutoff}, ${objectsDeleted} stored object(s) deleted`,
          );
      })
      .catch((error: unknown) =>
        this.logger.warn(`Retention purge failed, will try again: ${(error as Error).message}`),
      );
  }
}
