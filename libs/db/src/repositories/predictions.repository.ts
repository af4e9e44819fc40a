// Predictions: one row per (recording, request). Created pending when a job is queued, then
// completed with the model's answer or failed with a typed error code.
import { and, asc, count, desc, eq, gt, gte, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../client';
import { normalisePage, type Page, type PageRequest } from '../pagination';
import {
  batches,
  predictions,
  recordings,
  type NewPrediction,
  type Prediction,
  type PredictionLabel,
  type PredictionStatus,
  type PredictionDecision,
  type WindowScore,
} from '../schema';

export interface PredictionFilter {
  label?: PredictionLabel;
  batchId?: string;
  recordingId?: string;
  modelVersion?: string;
  /** Inclusive lower bound on createdAt. */
  from?: Date;
  /** Exclusive upper bound on createdAt. */
  to?: Date;
}

export interface PredictionOutcome {
  label: PredictionLabel;
  probability: number;
  windowScores: WindowScore[];
  qualityScore: number;
  modelVersion: string;
  latencyMs: number;
  decision?: PredictionDecision;
}

export interface PredictionFailure {
  code: string;
  message: string;
  latencyMs?: number;
  modelVersion?: string;
}

/** The columns of a prediction that succeeded with this outcome. */
export function completedColumns(outcome: PredictionOutcome) {
  return {
    ...outcome,
    status: 'succeeded' as const,
    errorCode: null,
    errorMessage: null,
    completedAt: new Date(),
  };
}

/** The columns of a prediction that failed for good. */
export function failedColumns(error: PredictionFailure) {
  return {
    status: 'failed' as const,
    errorCode: error.code,
    errorMessage: error.message,
    latencyMs: error.latencyMs,
    modelVersion: error.modelVersion,
    completedAt: new Date(),
  };
}

/** Where listPendingToScreen stopped: the last row's creation time and id. */
export interface PendingCursor {
  createdAt: Date;
  id: string;
}

/** A pending prediction with what its job needs. */
export interface PendingPrediction extends PendingCursor {
  recordingId: string;
  storageKey: string;
  batchId: string | null;
  /** The site the request named, which the re-queued job must keep. */
  site: string | null;
  /** Its batch's upload broke off (`failed`): the recording is to be failed, not screened. */
  batchAbandoned: boolean;
}

export const TIME_BUCKETS = ['hour', 'day', 'week'] as const;
export type TimeBucket = (typeof TIME_BUCKETS)[number];

/** How many predictions of one status and label were created in one time bucket (UTC). */
export interface PredictionTimeCount {
  start: Date;
  status: PredictionStatus;
  label: PredictionLabel | null;
  total: number;
}

export class PredictionsRepository {
  constructor(private readonly db: Database) {}

  async create(prediction: NewPrediction): Promise<Prediction> {
    const [created] = await this.db.insert(predictions).values(prediction).returning();
    return created!;
  }

  async createMany(rows: NewPrediction[]): Promise<Prediction[]> {
    if (rows.length === 0) return [];
    return this.db.insert(predictions).values(rows).returning();
  }

  async findById(id: string): Promise<Prediction | undefined> {
    const [prediction] = await this.db.select().from(predictions).where(eq(predictions.id, id));
    return prediction;
  }

  /** Newest first, filtered by label, batch, recording and creation time. */
  async list(filter: PredictionFilter = {}, page?: PageRequest): Promise<Page<Prediction>> {
    const { limit, offset } = normalisePage(page);
    const where = and(...conditions(filter));
    const [items, [totals]] = await Promise.all([
      this.db
        .select()
        .from(predictions)
        .where(where)
        .orderBy(desc(predictions.createdAt), desc(predictions.id))
        .limit(limit)
        .offset(offset),
      this.db.select({ total: count() }).from(predictions).where(where),
    ]);
    return { items, limit, offset, total: totals?.total ?? 0 };
  }

  async complete(id: string, outcome: PredictionOutcome): Promise<Prediction | undefined> {
    const [prediction] = await this.db
      .update(predictions)
      .set(completedColumns(outcome))
      .where(eq(predictions.id, id))
      .returning();
    return prediction;
  }

  async fail(id: string, error: PredictionFailure): Promise<Prediction | undefined> {
    const [prediction] = await this.db
      .update(predictions)
      .set(failedColumns(error))
      .where(eq(predictions.id, id))
      .returning();
    return prediction;
  }

  /** Ids of the batch's predictions that have no outcome yet. */
  async listPendingIds(batchId: string): Promise<string[]> {
    const rows = await this.db
      .select({ id: predictions.id })
      .from(predictions)
      .where(and(eq(predictions.batchId, batchId), eq(predictions.status, 'pending')));
    return rows.map((row) => row.id);
  }

  /**
   * Pending predictions created before `before` that are not being received: single ones
   * (/predict) and those of batches whose upload ended (pending, running) or broke off (failed;
   * `batchAbandoned`), with what a job needs, in (createdAt, id) order after `after`.
   */
  async listPendingToScreen(
    before: Date,
    { after, limit = 500 }: { after?: PendingCursor; limit?: number } = {},
  ): Promise<PendingPrediction[]> {
    const afterCursor = after
      ? or(
          gt(predictions.createdAt, after.createdAt),
          and(eq(predictions.createdAt, after.createdAt), gt(predictions.id, after.id)),
        )
      : undefined;
    return this.db
      .select({
        id: predictions.id,
        recordingId: predictions.recordingId,
        storageKey: recordings.storageKey,
        batchId: predictions.batchId,
        site: predictions.requestedSite,
        createdAt: predictions.createdAt,
        batchAbandoned: sql<boolean>`coalesce(${batches.status} = 'failed', false)`,
      })
      .from(predictions)
      .innerJoin(recordings, eq(recordings.id, predictions.recordingId))
      .leftJoin(batches, eq(batches.id, predictions.batchId))
      .where(
        and(
          eq(predictions.status, 'pending'),
          lt(predictions.createdAt, before),
          or(isNull(predictions.batchId), inArray(batches.status, ['pending', 'running', 'failed'])),
          afterCursor,
        ),
      )
      .orderBy(asc(predictions.createdAt), asc(predictions.id))
      .limit(limit);
  }

  async setJobId(id: string, jobId: string): Promise<void> {
    await this.db.update(predictions).set({ jobId }).where(eq(predictions.id, id));
  }

  /**
   * Predictions per UTC hour, day or week by status and label, oldest first, counted in PostgreSQL
   * (date_trunc over the filtered rows; the created_at indexes bound a date range).
   */
  async countOverTime(filter: PredictionFilter, bucket: TimeBucket): Promise<PredictionTimeCount[]> {
    if (!TIME_BUCKETS.includes(bucket)) throw new Error(`Unknown time bucket ${String(bucket)}`);
    // The unit is a literal from TIME_BUCKETS, so the grouped expression is the selected one.
    const start = sql<Date>`date_trunc(${sql.raw(`'${bucket}'`)}, ${predictions.createdAt}, 'UTC')`;
    const rows = await this.db
      .select({ start, status: predictions.status, label: predictions.label, total: count() })
      .from(predictions)
      .where(and(...conditions(filter)))
      .groupBy(start, predictions.status, predictions.label)
      .orderBy(start);
    return rows.map((row) => ({ ...row, start: new Date(row.start) }));
  }

  /** The first and last creation time among the matching predictions (undefined when none match). */
  async createdRange(filter: PredictionFilter): Promise<{ first: Date; last: Date } | undefined> {
    const [row] = await this.db
      .select({
        first: sql<string | null>`min(${predictions.createdAt})`,
        last: sql<string | null>`max(${predictions.createdAt})`,
      })
      .from(predictions)
      .where(and(...conditions(filter)));
    return row?.first && row.last ? { first: new Date(row.first), last: new Date(row.last) } : undefined;
  }

  /** Number of succeeded predictions per label, for the class-distribution view. */
  async countByLabel(filter: PredictionFilter = {}): Promise<Record<PredictionLabel, number>> {
    const rows = await this.db
      .select({ label: predictions.label, total: count() })
      .from(predictions)
      .where(and(eq(predictions.status, 'succeeded'), ...conditions(filter)))
      .groupBy(predictions.label);
    const counts: Record<PredictionLabel, number> = { normal: 0, abnormal: 0, unsure: 0 };
    for (const row of rows) if (row.label) counts[row.label] = row.total;
    return counts;
  }
}

function conditions(filter: PredictionFilter): SQL[] {
  const where: SQL[] = [];
  if (filter.label) where.push(eq(predictions.label, filter.label));
  if (filter.batchId) where.push(eq(predictions.batchId, filter.batchId));
  if (filter.recordingId) where.push(eq(predictions.recordingId, filter.recordingId));
  if (filter.modelVersion) where.push(eq(predictions.modelVersion, filter.modelVersion));
  if (filter.from) where.push(gte(predictions.createdAt, filter.from));
  if (filter.to) where.push(lt(predictions.createdAt, filter.to));
  return where;
}
