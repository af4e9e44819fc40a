// Screening batches: creation honours the client's Idempotency-Key, and counters are updated
// atomically by whichever worker finishes a prediction, so no coordinator is needed.
import { and, asc, count, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../client';
import { normalisePage, type Page, type PageRequest } from '../pagination';
import { batches, predictions, type Batch, type BatchStatus } from '../schema';

export interface CreateBatch {
  totalCount: number;
  idempotencyKey?: string;
  createdBy?: string;
  /**
   * Create it `receiving`: its recordings are still arriving, each counted with countReceived, and
   * it cannot complete before finishReceiving fixes the total.
   */
  receiving?: boolean;
}

/**
 * States in which a batch still counts outcomes. A `failed` batch is one whose upload broke off: the
 * recordings it had already queued are still screened (or failed with UPLOAD_ABORTED), and its
 * counts must reach its total like any other batch's.
 */
export const COUNTING_STATES = sql`(${batches.status} in ('receiving', 'pending', 'running', 'failed'))`;

/** The batch columns after one more outcome (see BatchesRepository.recordOutcome). */
export function countedOutcome(outcome: 'succeeded' | 'failed') {
  return countedOutcomes(
    sql.raw(outcome === 'succeeded' ? '1' : '0'),
    sql.raw(outcome === 'failed' ? '1' : '0'),
  );
}

/** The batch columns after `succeeded` and `failed` more outcomes (SQL expressions, e.g. a tally's columns). */
export function countedOutcomes(succeededMore: SQL, failedMore: SQL) {
  const succeeded = sql`${batches.succeededCount} + ${succeededMore}`;
  const failed = sql`${batches.failedCount} + ${failedMore}`;
  const receiving = sql`${batches.status} = 'receiving'`;
  const abandoned = sql`${batches.status} = 'failed'`;
  const done = sql`(${succeeded}) + (${failed}) >= ${batches.totalCount}`;
  return {
    succeededCount: succeeded,
    failedCount: failed,
    status: sql`case when ${receiving} then 'receiving'::batch_status when ${abandoned} then 'failed'::batch_status when ${done} then 'completed'::batch_status else 'running'::batch_status end`,
    finishedAt: sql`case when ${receiving} then null when ${abandoned} then ${batches.finishedAt} when ${done} then now() else null end`,
  };
}

export class BatchesRepository {
  constructor(private readonly db: Database) {}

  /**
   * Creates a batch, or returns the one already created with the same idempotency key
   * (`created: false`), so a retried request does not create a duplicate.
   */
  async create({
    totalCount,
    idempotencyKey,
    createdBy,
    receiving = false,
  }: CreateBatch): Promise<{ batch: Batch; created: boolean }> {
    const [created] = await this.db
      .insert(batches)
      .values({ totalCount, idempotencyKey, createdBy, status: receiving ? 'receiving' : 'pending' })
      .onConflictDoNothing({ target: batches.idempotencyKey })
      .returning();
    if (created) return { batch: created, created: true };
    const existing =
      idempotencyKey === undefined ? undefined : await this.findByIdempotencyKey(idempotencyKey);
    if (!existing)
      throw new Error(`Batch with idempotency key "${idempotencyKey}" vanished while being created`);
    return { batch: existing, created: false };
  }

  async findById(id: string): Promise<Batch | undefined> {
    const [batch] = await this.db.select().from(batches).where(eq(batches.id, id));
    return batch;
  }

  async findByIdempotencyKey(idempotencyKey: string): Promise<Batch | undefined> {
    const [batch] = await this.db.select().from(batches).where(eq(batches.idempotencyKey, idempotencyKey));
    return batch;
  }

  async list(page?: PageRequest): Promise<Page<Batch>> {
    const { limit, offset } = normalisePage(page);
    const [items, [totals]] = await Promise.all([
      this.db
        .select()
        .from(batches)
        .orderBy(desc(batches.createdAt), desc(batches.id))
        .limit(limit)
        .offset(offset),
      this.db.select({ total: count() }).from(batches),
    ]);
    return { items, limit, offset, total: totals?.total ?? 0 };
  }

  async setStatus(id: string, status: BatchStatus): Promise<Batch | undefined> {
    const finished = status === 'completed' || status === 'failed' || status === 'cancelled';
    const [batch] = await this.db
      .update(batches)
      .set({ status, finishedAt: finished ? new Date() : null })
      .where(eq(batches.id, id))
      .returning();
    return batch;
  }

  /**
   * Counts one finished prediction. The batch becomes `completed` (with finishedAt) when every
   * recording has an outcome; until then it is `running`. Failed recordings do not fail the batch.
   * A `receiving` batch counts the outcome and stays `receiving`: its total is not final yet.
   */
  async recordOutcome(id: string, outcome: 'succeeded' | 'failed'): Promise<Batch | undefined> {
    const [batch] = await this.db
      .update(batches)
      .set(countedOutcome(outcome))
      .where(and(eq(batches.id, id), COUNTING_STATES))
      .returning();
    return batch;
  }

  /**
   * One more recording arrived in a `receiving` batch: it counts towards the total, and as failed
   * when it was refused at upload. Undefined when the batch is not receiving.
   */
  async countReceived(
    id: string,
    { rejected = false }: { rejected?: boolean } = {},
  ): Promise<Batch | undefined> {
    const [batch] = await this.db
      .update(batches)
      .set({
        totalCount: sql`${batches.totalCount} + 1`,
        failedCount: rejected ? sql`${batches.failedCount} + 1` : sql`${batches.failedCount}`,
      })
      .where(and(eq(batches.id, id), eq(batches.status, 'receiving')))
      .returning();
    return batch;
  }

  /**
   * The upload ended: fixes the total and opens the batch for completion, completing it at once
   * when every recording already has an outcome. Runs as one UPDATE, so an outcome recorded at the
   * same moment is counted either before (and seen here) or after (and completes the batch itself).
   */
  async finishReceiving(id: string, totalCount: number): Promise<Batch | undefined> {
    const done = sql`${batches.succeededCount} + ${batches.failedCount} >= ${totalCount}`;
    const [batch] = await this.db
      .update(batches)
      .set({
        totalCount,
        status: sql`case when ${done} then 'completed'::batch_status else 'running'::batch_status end`,
        finishedAt: sql`case when ${done} then now() else null end`,
      })
      .where(and(eq(batches.id, id), eq(batches.status, 'receiving')))
      .returning();
    return batch;
  }

  /**
   * `receiving` batches whose upload has gone quiet: neither the batch nor any of its predictions
   * was created at or after `quietSince`, oldest first. A gateway that died mid-upload leaves such a
   * batch behind, holding its idempotency key.
   */
  async listStaleReceiving(quietSince: Date, limit = 100): Promise<Batch[]> {
    const recentPrediction = sql`exists (select 1 from ${predictions} where ${predictions.batchId} = ${batches.id} and ${predictions.createdAt} >= ${quietSince})`;
    return this.db
      .select()
      .from(batches)
      .where(
        and(eq(batches.status, 'receiving'), lt(batches.createdAt, quietSince), sql`not ${recentPrediction}`),
      )
      .orderBy(asc(batches.createdAt))
      .limit(limit);
  }

  /**
   * The upload failed part-way: the batch is `failed` as it stands, and gives up its idempotency key
   * so that the client's retry of the same request starts a new batch instead of finding this one.
   */
  async abandonReceiving(id: string): Promise<Batch | undefined> {
    const [batch] = await this.db
      .update(batches)
      .set({ status: 'failed', finishedAt: new Date(), idempotencyKey: null })
      .where(and(eq(batches.id, id), eq(batches.status, 'receiving')))
      .returning();
    return batch;
  }
}
