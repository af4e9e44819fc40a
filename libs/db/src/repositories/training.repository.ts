// Training runs (status, progress, metrics, log) and the labelled samples they learn from.
import { count, countDistinct, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { normalisePage, type Page, type PageRequest } from '../pagination';
import {
  trainingRuns,
  trainingSamples,
  type Metrics,
  type NewTrainingRun,
  type NewTrainingSample,
  type TrainingRun,
  type TrainingRunStatus,
  type TrainingSample,
} from '../schema';

export class TrainingRunsRepository {
  constructor(private readonly db: Database) {}

  async create(run: NewTrainingRun): Promise<TrainingRun> {
    const [created] = await this.db.insert(trainingRuns).values(run).returning();
    return created!;
  }

  async findById(id: string): Promise<TrainingRun | undefined> {
    const [run] = await this.db.select().from(trainingRuns).where(eq(trainingRuns.id, id));
    return run;
  }

  /** A queued or running run, if one exists (only one may run at a time). */
  async findActive(): Promise<TrainingRun | undefined> {
    const [run] = await this.db
      .select()
      .from(trainingRuns)
      .where(inArray(trainingRuns.status, ['queued', 'running']))
      .orderBy(desc(trainingRuns.createdAt))
      .limit(1);
    return run;
  }

  /** Runs marked running, oldest first (after a crash, the ones a dead worker left behind). */
  async listRunning(): Promise<TrainingRun[]> {
    return this.db
      .select()
      .from(trainingRuns)
      .where(eq(trainingRuns.status, 'running'))
      .orderBy(trainingRuns.createdAt);
  }

  async findLatest(): Promise<TrainingRun | undefined> {
    const [run] = await this.db
      .select()
      .from(trainingRuns)
      .orderBy(desc(trainingRuns.createdAt), desc(trainingRuns.id))
      .limit(1);
    return run;
  }

  async list(page?: PageRequest): Promise<Page<TrainingRun>> {
    const { limit, offset } = normalisePage(page);
    const [items, [totals]] = await Promise.all([
      this.db
        .select()
        .from(trainingRuns)
        .orderBy(desc(trainingRuns.createdAt), desc(trainingRuns.id))
        .limit(limit)
        .offset(offset),
      this.db.select({ total: count() }).from(trainingRuns),
    ]);
    return { items, limit, offset, total: totals?.total ?? 0 };
  }

  async markRunning(id: string): Promise<TrainingRun | undefined> {
    const [run] = await this.db
      .update(trainingRuns)
      .set({ status: 'running', startedAt: sql`coalesce(${trainingRuns.startedAt}, now())` })
      .where(eq(trainingRuns.id, id))
      .returning();
    return run;
  }

  /** Records progress (0-1) and, optionally, metrics so far and a line appended to the log. */
  async reportProgress(
    id: string,
    progress: number,
    { metrics, logLine }: { metrics?: Metrics; logLine?: string } = {},
  ): Promise<TrainingRun | undefined> {
    if (!(progress >= 0 && progress <= 1))
      throw new RangeError(`Training progress must be between 0 and 1, got ${progress}`);
    const [run] = await this.db
      .update(trainingRuns)
      .set({
        progress,
        ...(metrics ? { metrics } : {}),
        ...(logLine !== undefined ? { log: sql`${trainingRuns.log} || ${`${logLine}\n`}` } : {}),
      })
      .where(eq(trainingRuns.id, id))
      .returning();
    return run;
  }

  async finish(
    id: string,
    status: Extract<TrainingRunStatus, 'succeeded' | 'failed' | 'cancelled'>,
    { error, metrics }: { error?: string; metrics?: Metrics } = {},
  ): Promise<TrainingRun | undefined> {
    const [run] = await this.db
      .update(trainingRuns)
      .set({
        status,
        error: error ?? null,
        finishedAt: new Date(),
        ...(status === 'succeeded' ? { progress: 1 } : {}),
        ...(metrics ? { metrics } : {}),
      })
      .where(eq(trainingRuns.id, id))
      .returning();
    return run;
  }

  async setCheckpoint(id: string, checkpointKey: string): Promise<void> {
    await this.db.update(trainingRuns).set({ checkpointKey }).where(eq(trainingRuns.id, id));
  }
}

export class TrainingSamplesRepository {
  constructor(private readonly db: Database) {}

  /** Adds a sample; returns undefined when this recording is already a sample from the same source and site. */
  async add(sample: NewTrainingSample): Promise<TrainingSample | undefined> {
    const [created] = await this.db.insert(trainingSamples).values(sample).onConflictDoNothing().returning();
    return created;
  }

  async list({ site }: { site?: string } = {}, page?: PageRequest): Promise<Page<TrainingSample>> {
    const { limit, offset } = normalisePage(page);
    const where = site === undefined ? undefined : eq(trainingSamples.site, site);
    const [items, [totals]] = await Promise.all([
      this.db
        .select()
        .from(trainingSamples)
        .where(where)
        .orderBy(desc(trainingSamples.createdAt), desc(trainingSamples.id))
        .limit(limit)
        .offset(offset),
      this.db.select({ total: count() }).from(trainingSamples).where(where),
    ]);
    return { items, limit, offset, total: totals?.total ?? 0 };
  }

  /** Labelled recordings by label (a recording tagged for several sites counts once). */
  async countByLabel(): Promise<{ normal: number; abnormal: number }> {
    const rows = await this.db
      .select({ label: trainingSamples.label, total: countDistinct(trainingSamples.recordingId) })
      .from(trainingSamples)
      .groupBy(trainingSamples.label);
    const counts = { normal: 0, abnormal: 0 };
    for (const row of rows) counts[row.label] = row.total;
    return counts;
  }
}
