// The model registry's rows. Promotion is one transaction that retires the serving version, so
// the partial unique index guarantees at most one promoted version at any time.
import { asc, count, desc, eq } from 'drizzle-orm';
import type { Database } from '../client';
import {
  modelValidationScores,
  modelVersions,
  type ModelValidationScore,
  type ModelVersion,
  type ModelVersionStatus,
  type NewModelVersion,
} from '../schema';

/** One validation recording's score, as a version's validation-scores.json gives it. */
export type ValidationScore = Omit<ModelValidationScore, 'modelVersionId'>;

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

  /** Stores a version's validation scores; rows already stored (same recording) are kept as they are. */
  async saveValidationScores(modelVersionId: string, scores: ValidationScore[]): Promise<number> {
    let saved = 0;
    // 6 parameters a row: 1,000 rows a statement stays far below PostgreSQL's 65,535.
    for (let start = 0; start < scores.length; start += 1000) {
      const rows = await this.db
        .insert(modelValidationScores)
        .values(scores.slice(start, start + 1000).map((score) => ({ ...score, modelVersionId })))
        .onConflictDoNothing()
        .returning({ recordId: modelValidationScores.recordId });
      saved += rows.length;
    }
    return saved;
  }

  async countValidationScores(modelVersionId: string): Promise<number> {
    const [row] = await this.db
      .select({ total: count() })
      .from(modelValidationScores)
      .where(eq(modelValidationScores.modelVersionId, modelVersionId));
    return row?.total ?? 0;
  }

  /** A version's validation scores, by subset and recording; empty for an unknown version. */
  async listValidationScores(version: string): Promise<ValidationScore[]> {
    return this.db
      .select({
        recordId: modelValidationScores.recordId,
        subset: modelValidationScores.subset,
        label: modelValidationScores.label,
        score: modelValidationScores.score,
        probability: modelValidationScores.probability,
      })
      .from(modelValidationScores)
      .innerJoin(modelVersions, eq(modelVersions.id, modelValidationScores.modelVersionId))
      .where(eq(modelVersions.version, version))
      .orderBy(asc(modelValidationScores.subset), asc(modelValidationScores.recordId));
  }
}
