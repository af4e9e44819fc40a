// Uploaded recordings: metadata only; the bytes live in object storage under `storageKey`.
import { and, asc, count, desc, eq, inArray, lt, ne, notExists } from 'drizzle-orm';
import type { Database } from '../client';
import { normalisePage, type Page, type PageRequest } from '../pagination';
import { predictions, recordings, trainingSamples, type NewRecording, type Recording } from '../schema';

/** What deleting a recording takes with it. */
export interface RecordingUsage {
  predictions: number;
  trainingSamples: number;
  /** Other recordings stored under the same object (the same bytes uploaded again). */
  sharingObject: number;
}

export class RecordingsRepository {
  constructor(private readonly db: Database) {}

  async create(recording: NewRecording): Promise<Recording> {
    const [created] = await this.db.insert(recordings).values(recording).returning();
    return created!;
  }

  async findById(id: string): Promise<Recording | undefined> {
    const [recording] = await this.db.select().from(recordings).where(eq(recordings.id, id));
    return recording;
  }

  /** The recordings with these ids (in no particular order); unknown ids are skipped. */
  async findByIds(ids: readonly string[]): Promise<Recording[]> {
    if (ids.length === 0) return [];
    return this.db
      .select()
      .from(recordings)
      .where(inArray(recordings.id, [...ids]));
  }

  /** The most recent recording with this content, to reuse it instead of storing a duplicate. */
  async findBySha256(sha256: string): Promise<Recording | undefined> {
    const [recording] = await this.db
      .select()
      .from(recordings)
      .where(eq(recordings.sha256, sha256))
      .orderBy(desc(recordings.createdAt))
      .limit(1);
    return recording;
  }

  async list(page?: PageRequest): Promise<Page<Recording>> {
    const { limit, offset } = normalisePage(page);
    const [items, [totals]] = await Promise.all([
      this.db
        .select()
        .from(recordings)
        .orderBy(desc(recordings.createdAt), desc(recordings.id))
        .limit(limit)
        .offset(offset),
      this.db.select({ total: count() }).from(recordings),
    ]);
    return { items, limit, offset, total: totals?.total ?? 0 };
  }

  async usage(recording: Pick<Recording, 'id' | 'storageKey'>): Promise<RecordingUsage> {
    const [[byPrediction], [bySample], [byObject]] = await Promise.all([
      this.db.select({ n: count() }).from(predictions).where(eq(predictions.recordingId, recording.id)),
      this.db
        .select({ n: count() })
        .from(trainingSamples)
        .where(eq(trainingSamples.recordingId, recording.id)),
      this.db
        .select({ n: count() })
        .from(recordings)
        .where(and(eq(recordings.storageKey, recording.storageKey), ne(recordings.id, recording.id))),
    ]);
    return {
      predictions: byPrediction?.n ?? 0,
      trainingSamples: bySample?.n ?? 0,
      sharingObject: byObject?.n ?? 0,
    };
  }

  /**
   * Ids of recordings created before `cutoff`, oldest first, that are not training data (a training
   * sample is kept with its data set; retention applies to screened recordings).
   */
  async listScreenedCreatedBefore(cutoff: Date, limit = 100): Promise<string[]> {
    const rows = await this.db
      .select({ id: recordings.id })
      .from(recordings)
      .where(
        and(
          lt(recordings.createdAt, cutoff),
          notExists(
            this.db
              .select({ one: trainingSamples.id })
              .from(trainingSamples)
              .where(eq(trainingSamples.recordingId, recordings.id)),
          ),
        ),
      )
      .orderBy(asc(recordings.createdAt), asc(recordings.id))
      .limit(limit);
    return rows.map((row) => row.id);
  }

  /** Deletes the row; its predictions and training samples go with it (ON DELETE CASCADE). */
  async delete(id: string): Promise<boolean> {
    const deleted = await this.db
      .delete(recordings)
      .where(eq(recordings.id, id))
      .returning({ id: recordings.id });
    return deleted.length > 0;
  }
}
