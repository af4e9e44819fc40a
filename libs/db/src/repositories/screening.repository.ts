// The steps of a screening that touch several tables, each as one SQL statement: a step is atomic
// (no batch counts a prediction that was not written, or counts one twice) and costs one round
// trip instead of two or three, on the path every recording takes.
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { batches, predictions, recordings, type NewRecording } from '../schema';
import { countedOutcome, countedOutcomes, COUNTING_STATES } from './batches.repository';
import {
  completedColumns,
  failedColumns,
  type PredictionFailure,
  type PredictionOutcome,
} from './predictions.repository';

export interface UploadToScreen {
  recording: Omit<NewRecording, 'id' | 'createdAt'>;
  predictionId: string;
  /** A batch that is `receiving`: the recording counts towards its running total. */
  batchId?: string;
  /** The site the request named (see predictions.requestedSite). */
  site?: string;
}

export interface RegisteredUpload {
  recordingId: string;
  storageKey: string;
  predictionId: string;
}

export class ScreeningRepository {
  constructor(private readonly db: Database) {}

  /** The recordings row and its pending prediction; with a batch, one more recording in its total. */
  async registerUpload({
    recording,
    predictionId,
    batchId,
    site,
  }: UploadToScreen): Promise<RegisteredUpload> {
    const recordingId = randomUUID();
    const newRecording = this.db.$with('new_recording').as(
      this.db
        .insert(recordings)
        .values({ ...recording, id: recordingId })
        .returning({ id: recordings.id }),
    );
    const pending = {
      id: predictionId,
      recordingId,
      batchId,
      status: 'pending' as const,
      jobId: predictionId,
      requestedSite: site ?? null,
    };
    if (batchId === undefined) {
      await this.db.with(newRecording).insert(predictions).values(pending);
    } else {
      const newPrediction = this.db
        .$with('new_prediction')
        .as(this.db.insert(predictions).values(pending).returning({ id: predictions.id }));
      await this.db
        .with(newRecording, newPrediction)
        .update(batches)
        .set({ totalCount: sql`${batches.totalCount} + 1` })
        .where(and(eq(batches.id, batchId), eq(batches.status, 'receiving')));
    }
    return { recordingId, storageKey: recording.storageKey, predictionId };
  }

  /**
   * Several uploads of one receiving batch in one statement (multi-row inserts of the recordings
   * and their pending predictions, the batch's total raised by their number). Atomic: all or none.
   */
  async registerUploads(
    batchId: string,
    uploads: readonly Omit<UploadToScreen, 'batchId'>[],
  ): Promise<RegisteredUpload[]> {
    if (uploads.length === 0) return [];
    const registered = uploads.map((upload) => ({ ...upload, recordingId: randomUUID() }));
    const newRecordings = this.db.$with('new_recordings').as(
      this.db
        .insert(recordings)
        .values(registered.map(({ recording, recordingId }) => ({ ...recording, id: recordingId })))
        .returning({ id: recordings.id }),
    );
    const newPredictions = this.db.$with('new_predictions').as(
      this.db
        .insert(predictions)
        .values(
          registered.map(({ predictionId, recordingId, site }) => ({
            id: predictionId,
            recordingId,
            batchId,
            status: 'pending' as const,
            jobId: predictionId,
            requestedSite: site ?? null,
          })),
        )
        .returning({ id: predictions.id }),
    );
    await this.db
      .with(newRecordings, newPredictions)
      .update(batches)
      .set({ totalCount: sql`${batches.totalCount} + ${registered.length}` })
      .where(and(eq(batches.id, batchId), eq(batches.status, 'receiving')));
    return registered.map(({ recordingId, recording, predictionId }) => ({
      recordingId,
      storageKey: recording.storageKey,
      predictionId,
    }));
  }

  /**
   * completePrediction for several predictions in one statement: the outcomes go in as one JSON
   * parameter, every batch concerned counts its own. One answer per item, in order: false for a
   * prediction that was not pending (another attempt finished it first).
   */
  async completePredictions(
    items: readonly { id: string; outcome: PredictionOutcome }[],
  ): Promise<boolean[]> {
    if (items.length === 0) return [];
    const rows = items.map(({ id, outcome }) => ({
      id,
      label: outcome.label,
      probability: outcome.probability,
      window_scores: outcome.windowScores,
      quality_score: outcome.qualityScore,
      model_version: outcome.modelVersion,
      latency_ms: outcome.latencyMs,
      decision: outcome.decision ?? null,
    }));
    const counted = countedOutcomes(sql`tally.succeeded`, sql`0`);
    const result = await this.db.execute<{ id: string }>(sql`
      with input as (
        select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(
          id uuid, label prediction_label, probability real, window_scores jsonb, quality_score real,
          model_version text, latency_ms integer, decision jsonb)
      ), finished as (
        update ${predictions} set
          status = 'succeeded', label = input.label, probability = input.probability,
          window_scores = input.window_scores, quality_score = input.quality_score,
          model_version = input.model_version, latency_ms = input.latency_ms,
          decision = coalesce(input.decision, ${predictions.decision}),
          error_code = null, error_message = null, completed_at = now()
        from input
        where ${predictions.id} = input.id and ${predictions.status} = 'pending'
        returning ${predictions.id} as id, ${predictions.batchId} as batch_id
      ), tally as (
        select batch_id, count(*)::int as succeeded from finished where batch_id is not null group by batch_id
      ), counted as (
        update ${batches} set
          succeeded_count = ${counted.succeededCount}, failed_count = ${counted.failedCount},
          status = ${counted.status}, finished_at = ${counted.finishedAt}
        from tally
        where ${batches.id} = tally.batch_id and ${COUNTING_STATES}
        returning ${batches.id}
      )
      select id from finished`);
    const finished = new Set(result.rows.map((row) => row.id));
    return items.map(({ id }) => finished.has(id));
  }

  /**
   * A pending prediction succeeded: its outcome is written and its batch counts it. False when it
   * was not pending (another attempt finished it first): then nothing changes.
   */
  completePrediction(id: string, batchId: string | undefined, outcome: PredictionOutcome): Promise<boolean> {
    return this.finish(id, batchId, 'succeeded', completedColumns(outcome));
  }

  /** A pending prediction failed for good; as completePrediction otherwise. */
  failPrediction(id: string, batchId: string | undefined, failure: PredictionFailure): Promise<boolean> {
    return this.finish(id, batchId, 'failed', failedColumns(failure));
  }

  private async finish(
    id: string,
    batchId: string | undefined,
    outcome: 'succeeded' | 'failed',
    columns: ReturnType<typeof completedColumns> | ReturnType<typeof failedColumns>,
  ): Promise<boolean> {
    const finishPending = this.db
      .update(predictions)
      .set(columns)
      .where(and(eq(predictions.id, id), eq(predictions.status, 'pending')))
      .returning({ id: predictions.id });
    if (batchId === undefined) return (await finishPending).length > 0;
    const finished = this.db.$with('finished').as(finishPending);
    const counted = this.db.$with('counted').as(
      this.db
        .update(batches)
        .set(countedOutcome(outcome))
        .where(and(eq(batches.id, batchId), COUNTING_STATES, sql`exists (select 1 from ${finished})`))
        .returning({ id: batches.id }),
    );
    // `counted` runs although the query does not read it: PostgreSQL executes every data-modifying CTE.
    const [row] = await this.db
      .with(finished, counted)
      .select({ finished: sql<number>`count(*)::int` })
      .from(finished);
    return (row?.finished ?? 0) > 0;
  }
}
