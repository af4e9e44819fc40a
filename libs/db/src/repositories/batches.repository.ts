// Screening batches: creation honours the client's Idempotency-Key, and counters are updated
// atomically by whichever worker finishes a prediction, so no coordinator is needed.
import { and, count, desc, eq, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { normalisePage, type Page, type PageRequest } from '../pagination';
import { batches, type Batch, type BatchStatus } from '../schema';

export interface CreateBatch {
  totalCount: number;
  idempotencyKey?: string;
  createdBy?: string;
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
  }: CreateBatch): Promise<{ batch: Batch; created: boolean }> {
    const [created] = await this.db
      .insert(batches)
      .values({ totalCount, idempotencyKey, createdBy })
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
   */
  async recordOutcome(id: string, outcome: 'succeeded' | 'failed'): Promise<Batch | undefined> {
    const succeeded =
      outcome === 'succeeded' ? sql`${batches.succeededCount} + 1` : sql`${batches.succeededCount}`;
    const failed = outcome === 'failed' ? sql`${batches.failedCount} + 1` : sql`${batches.failedCount}`;
    const done = sql`(${succeeded}) + (${failed}) >= ${batches.totalCount}`;
    const [batch] = await this.db
      .update(batches)
      .set({
        succeededCount: succeeded,
        failedCount: failed,
        status: sql`case when ${done} then 'completed'::batch_status else 'running'::batch_status end`,
        finishedAt: sql`case when ${done} then now() else null end`,
      })
      .where(and(eq(batches.id, id), sql`${batches.status} in ('pending', 'running')`))
      .returning();
    return batch;
  }
}
