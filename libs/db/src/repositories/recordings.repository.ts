// Uploaded recordings: metadata only; the bytes live in object storage under `storageKey`.
import { count, desc, eq, inArray } from 'drizzle-orm';
import type { Database } from '../client';
import { normalisePage, type Page, type PageRequest } from '../pagination';
import { recordings, type NewRecording, type Recording } from '../schema';

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
    return this.db.select().from(recordings).where(inArray(recordings.id, [...ids]));
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

  async delete(id: string): Promise<boolean> {
    const deleted = await this.db
      .delete(recordings)
      .where(eq(recordings.id, id))
      .returning({ id: recordings.id });
    return deleted.length > 0;
  }
}
