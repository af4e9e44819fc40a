import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@heartbeat/config';
import { connectDatabase, type DatabaseConnection } from './client';
import { ApiKeysRepository } from './repositories/api-keys.repository';
import { AuditRepository } from './repositories/audit.repository';
import { BatchesRepository } from './repositories/batches.repository';
import { ModelVersionsRepository } from './repositories/model-versions.repository';
import { PredictionsRepository } from './repositories/predictions.repository';
import { RecordingsRepository } from './repositories/recordings.repository';
import { ScreeningRepository } from './repositories/screening.repository';
import { TrainingRunsRepository, TrainingSamplesRepository } from './repositories/training.repository';
import type { NewRecording } from './schema';
import { ownDatabaseEnv } from '../../../test/own-database';

let connection: DatabaseConnection;

beforeAll(async () => {
  connection = connectDatabase(loadConfig(await ownDatabaseEnv()).db.url, { poolSize: 4 });
});

afterEach(async () => {
  await connection.db.execute(
    sql`truncate api_keys, audit_events, batches, model_versions, predictions, recordings, training_runs, training_samples, sites cascade`,
  );
});

afterAll(async () => {
  await connection.close();
});

const sha = (seed: string) => seed.repeat(64).slice(0, 64);

function aRecording(overrides: Partial<NewRecording> = {}): NewRecording {
  const sha256 = overrides.sha256 ?? sha('a');
  return {
    storageKey: `recordings/${sha256}`,
    sha256,
    originalFileName: 'a0001.wav',
    format: 'wav',
    sampleRate: 2000,
    channels: 1,
    durationSeconds: 20.5,
    sizeBytes: 82_044,
    ...overrides,
  };
}

describe('RecordingsRepository', () => {
  it('creates a recording and finds it by id and by sha256', async () => {
    const recordings = new RecordingsRepository(connection.db);
    const created = await recordings.create(aRecording());

    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(await recordings.findById(created.id)).toEqual(created);
    expect(await recordings.findBySha256(sha('a'))).toEqual(created);
    expect(await recordings.findBySha256(sha('b'))).toBeUndefined();
  });

  it('lists newest first, one page at a time, with the total', async () => {
    const recordings = new RecordingsRepository(connection.db);
    for (const seed of ['1', '2', '3'])
      await recordings.create(aRecording({ sha256: sha(seed), originalFileName: `${seed}.wav` }));

    const first = await recordings.list({ limit: 2 });
    const second = await recordings.list({ limit: 2, offset: 2 });

    expect(first.total).toBe(3);
    expect(first.items.map((r) => r.originalFileName)).toEqual(['3.wav', '2.wav']);
    expect(second.items.map((r) => r.originalFileName)).toEqual(['1.wav']);
  });

  it('refuses a sha256 that is not 64 lowercase hex characters', async () => {
    await expect(
      new RecordingsRepository(connection.db).create(aRecording({ sha256: 'not-a-hash' })),
    ).rejects.toThrow();
  });
});

describe('PredictionsRepository', () => {
  it('completes a pending prediction with the model outcome', async () => {
    const recording = await new RecordingsRepository(connection.db).create(aRecording());
    const predictions = new PredictionsRepository(connection.db);
    const pending = await predictions.create({ recordingId: recording.id, jobId: '17' });
    expect(pending.status).toBe('pending');

    const completed = await predictions.complete(pending.id, {
      label: 'abnormal',
      probability: 0.87,
      windowScores: [{ startSeconds: 0, endSeconds: 5, probability: 0.87 }],
      qualityScore: 0.9,
      modelVersion: '1.0.0',
      latencyMs: 35,
    });

    expect(completed).toMatchObject({
      status: 'succeeded',
      label: 'abnormal',
      modelVersion: '1.0.0',
      latencyMs: 35,
    });
    expect(completed?.windowScores).toEqual([{ startSeconds: 0, endSeconds: 5, probability: 0.87 }]);
    expect(completed?.completedAt).toBeInstanceOf(Date);
  });

  it('records a failure with its error code', async () => {
    const recording = await new RecordingsRepository(connection.db).create(aRecording());
    const predictions = new PredictionsRepository(connection.db);
    const pending = await predictions.create({ recordingId: recording.id });

    const failed = await predictions.fail(pending.id, {
      code: 'TOO_SHORT',
      message: 'Recording is 1.2 s long',
    });

    expect(failed).toMatchObject({ status: 'failed', errorCode: 'TOO_SHORT', label: null });
  });

  it('filters the history by label and batch and counts labels', async () => {
    const recording = await new RecordingsRepository(connection.db).create(aRecording());
    const { batch } = await new BatchesRepository(connection.db).create({ totalCount: 2 });
    const predictions = new PredictionsRepository(connection.db);
    const outcome = {
      probability: 0.5,
      windowScores: [],
      qualityScore: 1,
      modelVersion: '1.0.0',
      latencyMs: 1,
    };
    const [a, b, c] = await predictions.createMany([
      { recordingId: recording.id, batchId: batch.id },
      { recordingId: recording.id, batchId: batch.id },
      { recordingId: recording.id },
    ]);
    await predictions.complete(a!.id, { ...outcome, label: 'normal' });
    await predictions.complete(b!.id, { ...outcome, label: 'abnormal' });
    await predictions.complete(c!.id, { ...outcome, label: 'abnormal' });

    expect((await predictions.list({ batchId: batch.id })).total).toBe(2);
    expect((await predictions.list({ label: 'abnormal' })).items.map((p) => p.id).sort()).toEqual(
      [b!.id, c!.id].sort(),
    );
    expect((await predictions.list({ from: new Date(Date.now() + 60_000) })).total).toBe(0);
    expect(await predictions.countByLabel()).toEqual({ normal: 1, abnormal: 2, unsure: 0 });
  });
});

describe('BatchesRepository', () => {
  it('returns the existing batch when the same idempotency key is used again', async () => {
    const batches = new BatchesRepository(connection.db);
    const key = randomUUID();

    const first = await batches.create({ totalCount: 3, idempotencyKey: key });
    const retry = await batches.create({ totalCount: 3, idempotencyKey: key });

    expect(first.created).toBe(true);
    expect(retry).toEqual({ batch: first.batch, created: false });
    expect((await batches.list()).total).toBe(1);
  });

  it('creates separate batches when no idempotency key is given', async () => {
    const batches = new BatchesRepository(connection.db);
    await batches.create({ totalCount: 1 });
    await batches.create({ totalCount: 1 });
    expect((await batches.list()).total).toBe(2);
  });

  it('counts outcomes and completes once every recording has one', async () => {
    const batches = new BatchesRepository(connection.db);
    const { batch } = await batches.create({ totalCount: 2 });

    const running = await batches.recordOutcome(batch.id, 'succeeded');
    expect(running).toMatchObject({ status: 'running', succeededCount: 1, failedCount: 0, finishedAt: null });

    const done = await batches.recordOutcome(batch.id, 'failed');
    expect(done).toMatchObject({ status: 'completed', succeededCount: 1, failedCount: 1 });
    expect(done?.finishedAt).toBeInstanceOf(Date);
  });

  it('keeps a receiving batch open while outcomes outrun the upload, and completes it when the total is fixed', async () => {
    const batches = new BatchesRepository(connection.db);
    const { batch } = await batches.create({ totalCount: 0, receiving: true });
    expect(batch).toMatchObject({ status: 'receiving', totalCount: 0 });

    await batches.countReceived(batch.id);
    await batches.countReceived(batch.id, { rejected: true });
    const allSoFar = await batches.recordOutcome(batch.id, 'succeeded');
    expect(allSoFar).toMatchObject({
      status: 'receiving',
      totalCount: 2,
      succeededCount: 1,
      failedCount: 1,
      finishedAt: null,
    });

    const finished = await batches.finishReceiving(batch.id, 2);
    expect(finished).toMatchObject({ status: 'completed', totalCount: 2 });
    expect(finished?.finishedAt).toBeInstanceOf(Date);
    expect(await batches.countReceived(batch.id)).toBeUndefined();
  });

  it('runs a finished upload until its last outcome arrives', async () => {
    const batches = new BatchesRepository(connection.db);
    const { batch } = await batches.create({ totalCount: 0, receiving: true });
    await batches.countReceived(batch.id);
    await batches.countReceived(batch.id);
    expect(await batches.finishReceiving(batch.id, 2)).toMatchObject({ status: 'running', finishedAt: null });
    await batches.recordOutcome(batch.id, 'succeeded');
    expect(await batches.recordOutcome(batch.id, 'failed')).toMatchObject({
      status: 'completed',
      succeededCount: 1,
      failedCount: 1,
    });
  });

  it('fails an abandoned upload and frees its idempotency key for the retry', async () => {
    const batches = new BatchesRepository(connection.db);
    const key = randomUUID();
    const { batch } = await batches.create({ totalCount: 0, idempotencyKey: key, receiving: true });
    await batches.countReceived(batch.id);
    expect(await batches.abandonReceiving(batch.id)).toMatchObject({
      status: 'failed',
      idempotencyKey: null,
      totalCount: 1,
    });
    const retry = await batches.create({ totalCount: 0, idempotencyKey: key, receiving: true });
    expect(retry.created).toBe(true);
    expect(await batches.finishReceiving(batch.id, 1)).toBeUndefined();
  });

  it('sets a status and stamps finishedAt for final states', async () => {
    const batches = new BatchesRepository(connection.db);
    const { batch } = await batches.create({ totalCount: 5 });
    expect((await batches.setStatus(batch.id, 'cancelled'))?.finishedAt).toBeInstanceOf(Date);
  });
});

describe('ScreeningRepository', () => {
  const outcome = {
    label: 'abnormal' as const,
    probability: 0.8,
    windowScores: [{ startSeconds: 0, endSeconds: 5, probability: 0.8 }],
    qualityScore: 0.9,
    modelVersion: '1.1.0',
    latencyMs: 12,
  };

  it('registers an upload for /predict: the recording and its pending prediction, no batch', async () => {
    const screening = new ScreeningRepository(connection.db);
    const predictionId = randomUUID();
    const registered = await screening.registerUpload({ recording: aRecording(), predictionId });

    const recording = await new RecordingsRepository(connection.db).findById(registered.recordingId);
    expect(recording).toMatchObject({ storageKey: `recordings/${sha('a')}`, originalFileName: 'a0001.wav' });
    expect(await new PredictionsRepository(connection.db).findById(predictionId)).toMatchObject({
      recordingId: registered.recordingId,
      batchId: null,
      status: 'pending',
      jobId: predictionId,
    });
  });

  it('counts each upload registered into a receiving batch, and none into a batch that stopped receiving', async () => {
    const screening = new ScreeningRepository(connection.db);
    const batches = new BatchesRepository(connection.db);
    const { batch } = await batches.create({ totalCount: 0, receiving: true });
    await screening.registerUpload({
      recording: aRecording(),
      predictionId: randomUUID(),
      batchId: batch.id,
    });
    await screening.registerUpload({
      recording: aRecording({ sha256: sha('b') }),
      predictionId: randomUUID(),
      batchId: batch.id,
    });
    expect(await batches.findById(batch.id)).toMatchObject({ status: 'receiving', totalCount: 2 });

    await batches.finishReceiving(batch.id, 2);
    await screening.registerUpload({
      recording: aRecording({ sha256: sha('c') }),
      predictionId: randomUUID(),
      batchId: batch.id,
    });
    expect(await batches.findById(batch.id)).toMatchObject({ totalCount: 2 });
  });

  it('writes nothing when the prediction cannot be stored (the statement is atomic)', async () => {
    const screening = new ScreeningRepository(connection.db);
    const predictionId = randomUUID();
    await screening.registerUpload({ recording: aRecording(), predictionId });
    await expect(
      screening.registerUpload({ recording: aRecording({ sha256: sha('d') }), predictionId }),
    ).rejects.toThrow();
    expect(await new RecordingsRepository(connection.db).findBySha256(sha('d'))).toBeUndefined();
  });

  it('completes a pending prediction and counts it in its batch once, however often a job finishes it', async () => {
    const screening = new ScreeningRepository(connection.db);
    const batches = new BatchesRepository(connection.db);
    const { batch } = await batches.create({ totalCount: 0, receiving: true });
    const first = randomUUID();
    const second = randomUUID();
    await screening.registerUpload({ recording: aRecording(), predictionId: first, batchId: batch.id });
    await screening.registerUpload({
      recording: aRecording({ sha256: sha('b') }),
      predictionId: second,
      batchId: batch.id,
    });
    await batches.finishReceiving(batch.id, 2);

    expect(await screening.completePrediction(first, batch.id, outcome)).toBe(true);
    expect(await screening.completePrediction(first, batch.id, outcome)).toBe(false);
    expect(await batches.findById(batch.id)).toMatchObject({
      status: 'running',
      succeededCount: 1,
      failedCount: 0,
    });
    expect(await new PredictionsRepository(connection.db).findById(first)).toMatchObject({
      status: 'succeeded',
      label: 'abnormal',
      probability: 0.8,
      modelVersion: '1.1.0',
    });

    expect(
      await screening.failPrediction(second, batch.id, { code: 'UNSUPPORTED_FORMAT', message: 'not audio' }),
    ).toBe(true);
    expect(await screening.completePrediction(second, batch.id, outcome)).toBe(false);
    const done = await batches.findById(batch.id);
    expect(done).toMatchObject({ status: 'completed', succeededCount: 1, failedCount: 1 });
    expect(done?.finishedAt).toBeInstanceOf(Date);
    expect(await new PredictionsRepository(connection.db).findById(second)).toMatchObject({
      status: 'failed',
      errorCode: 'UNSUPPORTED_FORMAT',
      label: null,
    });
  });

  it('keeps counting the outcomes of a batch whose upload broke off, so its counts reach its total and it stays failed', async () => {
    const screening = new ScreeningRepository(connection.db);
    const batches = new BatchesRepository(connection.db);
    const predictions = new PredictionsRepository(connection.db);
    const { batch } = await batches.create({ totalCount: 0, receiving: true });
    const [running, unstarted] = [randomUUID(), randomUUID()];
    await screening.registerUpload({ recording: aRecording(), predictionId: running, batchId: batch.id });
    await screening.registerUpload({
      recording: aRecording({ sha256: sha('b') }),
      predictionId: unstarted,
      batchId: batch.id,
    });
    const abandoned = await batches.abandonReceiving(batch.id);

    expect(
      await screening.failPrediction(unstarted, batch.id, { code: 'UPLOAD_ABORTED', message: 'broke off' }),
    ).toBe(true);
    // The job a worker had already started finishes after the batch was abandoned.
    expect(await screening.completePrediction(running, batch.id, outcome)).toBe(true);
    expect(await batches.findById(batch.id)).toMatchObject({
      status: 'failed',
      totalCount: 2,
      succeededCount: 1,
      failedCount: 1,
      finishedAt: abandoned!.finishedAt,
    });

    // A pending prediction of a broken-off batch is listed to be failed, not screened.
    const orphan = randomUUID();
    const { batch: other } = await batches.create({ totalCount: 0, receiving: true });
    await screening.registerUpload({
      recording: aRecording({ sha256: sha('e') }),
      predictionId: orphan,
      batchId: other.id,
    });
    await batches.abandonReceiving(other.id);
    const listed = (
      await predictions.listPendingToScreen(new Date(Date.now() + 60_000), { limit: 10_000 })
    ).find((row) => row.id === orphan);
    expect(listed).toMatchObject({ batchId: other.id, batchAbandoned: true });
  });

  it('registers several uploads of a receiving batch in one statement, and completes several predictions across batches in one', async () => {
    const screening = new ScreeningRepository(connection.db);
    const batches = new BatchesRepository(connection.db);
    const predictions = new PredictionsRepository(connection.db);
    const { batch } = await batches.create({ totalCount: 0, receiving: true });
    const { batch: other } = await batches.create({ totalCount: 0, receiving: true });
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const registered = await screening.registerUploads(batch.id, [
      { recording: aRecording({ sha256: sha('f') }), predictionId: ids[0]! },
      { recording: aRecording({ sha256: sha('a') }), predictionId: ids[1]!, site: 'north' },
    ]);
    const [single] = await screening.registerUploads(other.id, [
      { recording: aRecording({ sha256: sha('b') }), predictionId: ids[2]! },
    ]);
    expect(registered.map((r) => r.predictionId)).toEqual(ids.slice(0, 2));
    expect(await predictions.findById(ids[1]!)).toMatchObject({
      recordingId: registered[1]!.recordingId,
      batchId: batch.id,
      status: 'pending',
      jobId: ids[1],
      requestedSite: 'north',
    });
    expect(single?.storageKey).toBe(`recordings/${sha('b')}`);
    expect(await batches.findById(batch.id)).toMatchObject({ status: 'receiving', totalCount: 2 });
    await batches.finishReceiving(batch.id, 2);
    await batches.finishReceiving(other.id, 1);

    const decision = { calibration: { slope: 1, intercept: 0 }, threshold: 0.4, minimumQuality: 0.2 };
    expect(await screening.completePrediction(ids[0]!, batch.id, outcome)).toBe(true);
    expect(
      await screening.completePredictions([
        { id: ids[0]!, outcome },
        { id: ids[1]!, outcome: { ...outcome, probability: 0.3, label: 'normal', decision } },
        { id: ids[2]!, outcome },
        { id: randomUUID(), outcome },
      ]),
    ).toEqual([false, true, true, false]);
    expect(await predictions.findById(ids[1]!)).toMatchObject({
      status: 'succeeded',
      label: 'normal',
      probability: 0.3,
      qualityScore: 0.9,
      latencyMs: 12,
      modelVersion: '1.1.0',
      windowScores: outcome.windowScores,
      decision,
      errorCode: null,
    });
    expect((await predictions.findById(ids[1]!))?.completedAt).toBeInstanceOf(Date);
    const done = await batches.findById(batch.id);
    expect(done).toMatchObject({ status: 'completed', succeededCount: 2, failedCount: 0 });
    expect(done?.finishedAt).toBeInstanceOf(Date);
    expect(await batches.findById(other.id)).toMatchObject({ status: 'completed', succeededCount: 1 });
  });

  it('stores each registered upload as given, odd file names and missing values included, and all or none of a group', async () => {
    const screening = new ScreeningRepository(connection.db);
    const batches = new BatchesRepository(connection.db);
    const recordings = new RecordingsRepository(connection.db);
    const key = await new ApiKeysRepository(connection.db).create({
      name: 'uploader',
      keyHash: sha('d'),
      keyPrefix: 'hb_dddd',
      role: 'screening',
    });
    const { batch } = await batches.create({ totalCount: 0, receiving: true });
    const odd = aRecording({
      sha256: sha('b'),
      originalFileName: 'ward "3", bed\\7 {left} NULL é.wav',
      sampleRate: null,
      channels: null,
      durationSeconds: null,
      sizeBytes: 5_000_000_000,
      uploadedBy: key.id,
    });
    const plain = aRecording({ sha256: sha('c'), format: 'flac', durationSeconds: 0.125 });
    const [first, second] = await screening.registerUploads(batch.id, [
      { recording: odd, predictionId: randomUUID() },
      { recording: plain, predictionId: randomUUID() },
    ]);
    expect(await recordings.findById(first!.recordingId)).toMatchObject(odd);
    expect(await recordings.findById(second!.recordingId)).toMatchObject({ ...plain, uploadedBy: null });

    // A prediction id already taken refuses the whole group: no recording, no count.
    const taken = first!.predictionId;
    await expect(
      screening.registerUploads(batch.id, [
        { recording: aRecording({ sha256: sha('e') }), predictionId: randomUUID() },
        { recording: aRecording({ sha256: sha('f') }), predictionId: taken },
      ]),
    ).rejects.toThrow();
    expect(await recordings.findBySha256(sha('e'))).toBeUndefined();
    expect(await batches.findById(batch.id)).toMatchObject({ status: 'receiving', totalCount: 2 });
  });

  it('completes a prediction without a batch', async () => {
    const screening = new ScreeningRepository(connection.db);
    const predictionId = randomUUID();
    await screening.registerUpload({ recording: aRecording(), predictionId });
    expect(await screening.completePrediction(predictionId, undefined, outcome)).toBe(true);
    expect(await screening.completePrediction(predictionId, undefined, outcome)).toBe(false);
    expect(await new PredictionsRepository(connection.db).findById(predictionId)).toMatchObject({
      status: 'succeeded',
      latencyMs: 12,
    });
  });
});

describe('ModelVersionsRepository', () => {
  it('promotes a candidate and retires the previously promoted version', async () => {
    const versions = new ModelVersionsRepository(connection.db);
    await versions.create({
      version: '1.0.0',
      metrics: { macc: 0.84 },
      artifactKeys: { onnx: 'models/1.0.0/model.onnx' },
    });
    await versions.create({ version: '1.1.0', metrics: { macc: 0.86 } });

    await versions.promote('1.0.0');
    const { promoted, previous } = await versions.promote('1.1.0', 'better MAcc');

    expect(promoted).toMatchObject({ version: '1.1.0', status: 'promoted', statusReason: 'better MAcc' });
    expect(previous).toMatchObject({ version: '1.0.0', status: 'retired' });
    expect((await versions.findPromoted())?.version).toBe('1.1.0');
    expect((await versions.findByVersion('1.0.0'))?.artifactKeys).toEqual({
      onnx: 'models/1.0.0/model.onnx',
    });
  });

  it('never holds two promoted versions', async () => {
    const versions = new ModelVersionsRepository(connection.db);
    await versions.create({ version: '1.0.0', status: 'promoted' });
    await expect(versions.create({ version: '2.0.0', status: 'promoted' })).rejects.toThrow();
  });

  it('rejects a candidate with its reason and lists by status', async () => {
    const versions = new ModelVersionsRepository(connection.db);
    await versions.create({ version: '1.2.0' });
    await versions.setStatus('1.2.0', 'rejected', 'sensitivity dropped by 0.05');

    expect((await versions.list({ status: 'rejected' })).map((v) => [v.version, v.statusReason])).toEqual([
      ['1.2.0', 'sensitivity dropped by 0.05'],
    ]);
    expect(await versions.list({ status: 'candidate' })).toEqual([]);
  });

  it('refuses a version that is not semantic', async () => {
    await expect(new ModelVersionsRepository(connection.db).create({ version: 'latest' })).rejects.toThrow();
  });
});

describe('TrainingRunsRepository', () => {
  it('follows a run from queued to succeeded with progress, metrics and log', async () => {
    const runs = new TrainingRunsRepository(connection.db);
    const run = await runs.create({ params: { epochs: 2 } });
    expect(await runs.findActive()).toMatchObject({ id: run.id, status: 'queued' });

    await runs.markRunning(run.id);
    await runs.reportProgress(run.id, 0.5, { metrics: { loss: 0.4 }, logLine: 'epoch 1/2 loss=0.40' });
    await runs.reportProgress(run.id, 0.9, { logLine: 'epoch 2/2 loss=0.31' });
    const finished = await runs.finish(run.id, 'succeeded', { metrics: { loss: 0.31, macc: 0.85 } });

    expect(finished).toMatchObject({ status: 'succeeded', progress: 1, metrics: { loss: 0.31, macc: 0.85 } });
    expect(finished?.log).toBe('epoch 1/2 loss=0.40\nepoch 2/2 loss=0.31\n');
    expect(finished?.startedAt).toBeInstanceOf(Date);
    expect(await runs.findActive()).toBeUndefined();
    expect((await runs.findLatest())?.id).toBe(run.id);
  });

  it('rejects progress outside 0-1', async () => {
    const runs = new TrainingRunsRepository(connection.db);
    const run = await runs.create({});
    await expect(runs.reportProgress(run.id, 1.5)).rejects.toThrow(RangeError);
  });
});

describe('TrainingSamplesRepository', () => {
  it('ignores the same recording added twice for the same site and counts labels by recording', async () => {
    const recordings = new RecordingsRepository(connection.db);
    const samples = new TrainingSamplesRepository(connection.db);
    const normal = await recordings.create(aRecording({ sha256: sha('c') }));
    const abnormal = await recordings.create(aRecording({ sha256: sha('d') }));

    expect(await samples.add({ recordingId: normal.id, label: 'normal', site: 'st-marys' })).toBeDefined();
    expect(await samples.add({ recordingId: normal.id, label: 'normal', site: 'st-marys' })).toBeUndefined();
    await samples.add({ recordingId: abnormal.id, label: 'abnormal' });
    expect(await samples.add({ recordingId: abnormal.id, label: 'abnormal' })).toBeUndefined();

    expect(await samples.countByLabel()).toEqual({ normal: 1, abnormal: 1 });
    expect((await samples.list({ site: 'st-marys' })).total).toBe(1);
  });

  it('tags a recording already uploaded for another site for this site too', async () => {
    const recordings = new RecordingsRepository(connection.db);
    const samples = new TrainingSamplesRepository(connection.db);
    const shared = await recordings.create(aRecording({ sha256: sha('e') }));

    expect(await samples.add({ recordingId: shared.id, label: 'normal', site: 'st-marys' })).toBeDefined();
    expect(await samples.add({ recordingId: shared.id, label: 'normal', site: 'st-ives' })).toMatchObject({
      site: 'st-ives',
    });

    expect((await samples.list({ site: 'st-ives' })).total).toBe(1);
    expect(await samples.countByLabel()).toEqual({ normal: 1, abnormal: 0 });
  });
});

describe('ApiKeysRepository and AuditRepository', () => {
  it('finds an active key by hash and no longer after it is revoked', async () => {
    const keys = new ApiKeysRepository(connection.db);
    const key = await keys.create({
      name: 'ward 3',
      keyHash: sha('e'),
      keyPrefix: 'hb_eeee',
      role: 'screening',
    });

    expect((await keys.findActiveByHash(sha('e')))?.id).toBe(key.id);
    await keys.revoke(key.id);
    expect(await keys.findActiveByHash(sha('e'))).toBeUndefined();
  });

  it('records audit events and filters them by subject', async () => {
    const key = await new ApiKeysRepository(connection.db).create({
      name: 'admin',
      keyHash: sha('f'),
      keyPrefix: 'hb_ffff',
      role: 'admin',
    });
    const audit = new AuditRepository(connection.db);
    await audit.record({
      actorKeyId: key.id,
      action: 'model.promoted',
      subjectType: 'model_version',
      subjectId: '1.1.0',
      details: { manual: true },
    });
    await audit.record({ action: 'api_key.created', subjectType: 'api_key', subjectId: key.id });

    const page = await audit.list({ subjectType: 'model_version' });
    expect(page.total).toBe(1);
    expect(page.items[0]).toMatchObject({
      action: 'model.promoted',
      actorKeyId: key.id,
      details: { manual: true },
    });
  });
});
