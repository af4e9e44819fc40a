// The model registry's rows. Promotion is one transaction that retires the serving version, so
// the partial unique index guarantees at most one promoted version at any time.
import { desc, eq } from 'drizzle-orm';
import type { Database } from '../client';
import { modelVersions, type ModelVersion, type ModelVersionStatus, type NewModelVersion } from '../schema';

export class ModelVersionsRepository {
  constructor(private readonly db: Database) {}

  async create(version: NewModelVersion): Promise<ModelVersion> {
    const [created] = await this.db.insert(modelVersions).values(version).returning();
    return created!;
  }

  async findByVersion(version: string): Promise<ModelVersion | undefined> {
    const [row] = await this.db.select().from(modelVersions).where(eq(modelVersions.version, version));
    return row;
  }

  /** The version currently serving predictions, if any. */
  async findPromoted(): Promise<ModelVersion | undefined> {
    const [row] = await this.db.select().from(modelVersions).where(eq(modelVersions.status, 'promoted'));
    return row;
  }

  async list({ status }: { status?: ModelVersionStatus } = {}): Promise<ModelVersion[]> {
    return this.db
      .select()
      .from(modelVersions)
      .where(status ? eq(modelVersions.status, status) : undefined)
      .orderBy(desc(modelVersions.createdAt), desc(modelVersions.id));
  }

  /** Marks a version rejected or retired (with the reason shown to admins). Use promote() to promote. */
  async setStatus(
    version: string,
    status: Exclude<ModelVersionStatus, 'promoted'>,
    reason?: string,
  ): Promise<ModelVersion | undefined> {
    const [row] = await this.db
      .update(modelVersions)
      .set({ status, statusReason: reason ?? null, retiredAt: status === 'retired' ? new Date() : undefined })
      .where(eq(modelVersions.version, version))
      .returning();
    return row;
  }

  /** Promotes `version` and retires the previously promoted one, atomically. */
  async promote(
    version: string,
    reason?: string,
  ): Promise<{ promoted: ModelVersion; previous?: ModelVersion }> {
    return this.db.transaction(async (tx) => {
      const [target] = await tx
        .select()
        .from(modelVersions)
        .where(eq(modelVersions.version, version))
        .for('update');
      if (!target) throw new Error(`Model version ${version} is not registered`);
      const [current] = await tx
        .select()
        .from(modelVersions)
        .where(eq(modelVersions.status, 'promoted'))
        .for('update');
      if (current?.id === target.id) return { promoted: target };
      let previous: ModelVersion | undefined;
      if (current) {
        [previous] = await tx
          .update(modelVersions)
          .set({ status: 'retired', retiredAt: new Date(), statusReason: `replaced by ${version}` })
          .where(eq(modelVersions.id, current.id))
          .returning();
      }
      const [promoted] = await tx
        .update(modelVersions)
        .set({ status: 'promoted', promotedAt: new Date(), retiredAt: null, statusReason: reason ?? null })
        .where(eq(modelVersions.id, target.id))
        .returning();
      return { promoted: promoted!, previous };
    });
  }
}
