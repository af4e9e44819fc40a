// The steps of a screening that touch several tables, each as one SQL statement: a step is atomic
// (no batch counts a prediction that was not written, or counts one twice) and costs one round
// trip instead of two or three, on the path every recording takes.
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Pool } from 'pg';
import type { Database } from '../client';
import { batches, predictions, type NewRecording } from '../schema';
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

/** insertUploads' statement: $1 the batch (or null), then one array per column, in unnest's order. */
const REGISTER_UPLOADS = `
  with new_recordings as (
    insert into recordings (id, storage_key, sha256, original_file_name, format, sample_rate, channels,
      duration_seconds, size_bytes, uploaded_by)
    select * from unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::integer[],
      $8::integer[], $9::double precision[], $10::bigint[], $11::uuid[])
  ), new_predictions as (
    insert into predictions (id, recording_id, batch_id, status, job_id, requested_site)
    select input.id, input.recording_id, $1::uuid, 'pending', input.id::text, input.site
    from unnest($12::uuid[], $2::uuid[], $13::text[]) as input(id, recording_id, site)
  )
  update batches set total_count = total_count + cardinality($2::uuid[])
  where id = $1::uuid and status = 'receiving'`;

/**
 * completePredictions' statement ($1: the outcomes as one JSON array), rendered once from the query
 * builder's pieces (the batch counting is shared with the one-by-one path), so that it runs as a named
 * prepared statement, parsed and planned once per connection instead of once per group.
 */
let completePredictionsText: string | undefined;
function completePredictionsStatement(): string {
  if (completePredictionsText !== undefined) return completePredictionsText;
  const counted = countedOutcomes(sql`tally.succeeded`, sql`0`);
  const query = new PgDialect().sqlToQuery(sql`
    with input as (
      select * from jsonb_to_recordset(${sql.placeholder('outcomes')}::jsonb) as x(
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
  if (query.params.length !== 1)
    throw new Error('completePredictions: the statement must take one parameter');
  completePredictionsText = query.sql;
  return completePredictionsText;
}

export class ScreeningRepository {
  constructor(private readonly db: Database) {}

  /** The recordings row and its pending prediction; with a batch, one more recording in its total. */
  async registerUpload({ batchId, ...upload }: UploadToScreen): Promise<RegisteredUpload> {
    const [registered] = await this.insertUploads(batchId ?? null, [upload]);
    return registered!;
  }

  /**
   * Several uploads of one receiving batch in one statement (the recordings and their pending
   * predictions, the batch's total raised by their number). Atomic: all or none.
   */
  registerUploads(
    batchId: string,
    uploads: readonly Omit<UploadToScreen, 'batchId'>[],
  ): Promise<RegisteredUpload[]> {
    return this.insertUploads(batchId, uploads);
  }

  /**
   * The statement of registerUpload(s): one array per column, so its text never changes with the
   * number of uploads and it is a named prepared statement, parsed and planned once per connection.
   * (The query builder's multi-row VALUES, one parameter per cell and a new text for each group
   * size, cost the gateway ~10 % of its CPU in a 2,656-recording batch.) Without a batch, no batch
   * row matches and only the rows are inserted.
   */
  private async insertUploads(
    batchId: string | null,
    uploads: readonly Omit<UploadToScreen, 'batchId'>[],
  ): Promise<RegisteredUpload[]> {
    if (uploads.length === 0) return [];
    const recordingIds = uploads.map(() => randomUUID());
    const column = (value: (upload: Omit<UploadToScreen, 'batchId'>) => unknown) => uploads.map(value);
    // drizzle() keeps its pool as $client (the Database type leaves it out): a named statement needs the driver.
    await (this.db as Database & { $client: Pool }).$client.query({
      name: 'heartbeat_register_uploads',
      text: REGISTER_UPLOADS,
      values: [
        batchId,
        recordingIds,
        column((u) => u.recording.storageKey),
        column((u) => u.recording.sha256),
        column((u) => u.recording.originalFileName),
        column((u) => u.recording.format),
        column((u) => u.recording.sampleRate),
        column((u) => u.recording.channels),
        column((u) => u.recording.durationSeconds),
        column((u) => u.recording.sizeBytes),
        column((u) => u.recording.uploadedBy),
        column((u) => u.predictionId),
        column((u) => u.site),
      ],
    });
    return uploads.map(({ recording, predictionId }, i) => ({
      recordingId: recordingIds[i]!,
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
    // drizzle() keeps its pool as $client (the Database type leaves it out): a named statement needs the driver.
    const result = await (this.db as Database & { $client: Pool }).$client.query<{ id: string }>({
      name: 'heartbeat_complete_predictions',
      text: completePredictionsStatement(),
      values: [JSON.stringify(rows)],
    });
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
