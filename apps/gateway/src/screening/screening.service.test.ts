import { describe, expect, it } from 'vitest';
import type { Config } from '@heartbeat/config';
import type { Batch, NewPrediction, NewRecording, Prediction, Recording } from '@heartbeat/db';
import { JobTimeoutError, type PredictionResult } from '@heartbeat/queue';
import { ApiError } from '../common/api-error';
import type { StagedRecording } from '../uploads/uploads.service';
import { ScreeningService } from './screening.service';

const config = { gateway: { predictTimeoutMs: 50 }, s3: { presignedUrlTtlSeconds: 60 } } as unknown as Config;

function staged(index: number, name = `r${index}.wav`): StagedRecording {
  return { index, fileName: name, storageKey: `recordings/${'a'.repeat(63)}${index}`, sha256: `${'a'.repeat(63)}${index}`, sizeBytes: 100, format: 'wav' };
}

function fakes(result: () => Promise<PredictionResult>) {
  const recordings: Recording[] = [];
  const predictions: Prediction[] = [];
  const batches: Batch[] = [];
  const audit: { action: string; details: unknown }[] = [];
  const jobs: { predictionId: string; recordingId: string; storageKey: string; batchId?: string }[] = [];
  const service = new ScreeningService(
    {
      create: async (r: NewRecording) => {
        const row = { ...r, id: `rec-${recordings.length}`, createdAt: new Date() } as Recording;
        recordings.push(row);
        return row;
      },
      findByIds: async (ids: string[]) => recordings.filter((r) => ids.includes(r.id)),
    } as never,
    {
      create: async (p: NewPrediction) => predictions.push({ ...p, createdAt: new Date() } as Prediction),
      createMany: async (rows: NewPrediction[]) => rows.map((p) => (predictions.push({ ...p, createdAt: new Date() } as Prediction), p)),
      list: async (filter: { batchId?: string }) => {
        const items = predictions.filter((p) => p.batchId === filter.batchId);
        return { items, total: items.length, limit: 1000, offset: 0 };
      },
    } as never,
    {
      create: async ({ totalCount, idempotencyKey }: { totalCount: number; idempotencyKey?: string }) => {
        const existing = batches.find((b) => idempotencyKey && b.idempotencyKey === idempotencyKey);
        if (existing) return { batch: existing, created: false };
        const batch = { id: `batch-${batches.length}`, status: 'pending', totalCount, succeededCount: 0, failedCount: 0, idempotencyKey, createdAt: new Date(), finishedAt: null } as Batch;
        batches.push(batch);
        return { batch, created: true };
      },
      recordOutcome: async (id: string) => {
        const batch = batches.find((b) => b.id === id)!;
        batch.failedCount++;
        return batch;
      },
      findById: async (id: string) => batches.find((b) => b.id === id),
    } as never,
    { record: async (event: { action: string; details: unknown }) => audit.push(event), list: async () => ({ items: [], total: 0, limit: 1000, offset: 0 }) } as never,
    {
      enqueueMany: async (payloads: typeof jobs) => (jobs.push(...payloads), payloads.map((p) => p.predictionId)),
      enqueueInteractive: async (payload: (typeof jobs)[number]) => (jobs.push(payload), payload.predictionId),
      waitForResult: result,
    } as never,
    {} as never,
    config,
  );
  return { service, recordings, predictions, batches, audit, jobs };
}

const succeeded: PredictionResult = { status: 'succeeded', label: 'abnormal', probability: 0.8, quality: 0.9, windows: [], modelVersion: '1.0.0', latencyMs: 4 };

describe('ScreeningService.submitBatch', () => {
  it('creates one recording, one pending prediction and one job per staged file', async () => {
    const { service, recordings, predictions, jobs } = fakes(async () => succeeded);
    const reply = await service.submitBatch({ staged: [staged(0), staged(1)], rejected: [] }, { keyId: 'key-1' });
    expect(reply.status).toBe(202);
    expect(recordings.map((r) => [r.originalFileName, r.uploadedBy])).toEqual([['r0.wav', 'key-1'], ['r1.wav', 'key-1']]);
    expect(predictions.every((p) => p.status === 'pending' && p.jobId === p.id && p.batchId === reply.body.batchId)).toBe(true);
    expect(jobs).toEqual(predictions.map((p, i) => expect.objectContaining({ predictionId: p.id, recordingId: recordings[i]!.id, storageKey: recordings[i]!.storageKey, batchId: reply.body.batchId })));
  });

  it('counts a rejected file as failed in the batch and lists it in order, without queuing it', async () => {
    const { service, jobs, audit } = fakes(async () => succeeded);
    const reply = await service.submitBatch(
      { staged: [staged(0), staged(2)], rejected: [{ index: 1, fileName: 'x.png', statusCode: 415, code: 'UNSUPPORTED_FORMAT', message: 'got a PNG image' }] },
      {},
    );
    expect(reply.body).toMatchObject({ total: 3, accepted: 2, rejected: 1, failed: 1 });
    expect(reply.body.files.map((f) => [f.index, f.status, f.code])).toEqual([[0, 'queued', undefined], [1, 'rejected', 'UNSUPPORTED_FORMAT'], [2, 'queued', undefined]]);
    expect(jobs).toHaveLength(2);
    expect(audit).toEqual([expect.objectContaining({ action: 'batch.file_rejected', details: expect.objectContaining({ fileName: 'x.png' }) })]);
  });

  it('answers with the rejection itself when no file can be screened', async () => {
    const { service, batches } = fakes(async () => succeeded);
    const error = await service
      .submitBatch({ staged: [], rejected: [{ index: 0, fileName: 'x.png', statusCode: 415, code: 'UNSUPPORTED_FORMAT', message: 'got a PNG image' }] }, {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ statusCode: 415, code: 'UNSUPPORTED_FORMAT' });
    expect(batches).toHaveLength(0);
  });

  it('refuses an empty submission with NO_FILES', async () => {
    const { service } = fakes(async () => succeeded);
    await expect(service.submitBatch({ staged: [], rejected: [] }, {})).rejects.toMatchObject({ statusCode: 400, code: 'NO_FILES' });
  });

  it('returns the existing batch and creates nothing when the idempotency key was seen', async () => {
    const { service, recordings, predictions } = fakes(async () => succeeded);
    const first = await service.submitBatch({ staged: [staged(0)], rejected: [] }, {}, 'scope-1');
    const again = await service.submitBatch({ staged: [staged(0)], rejected: [] }, {}, 'scope-1');
    expect(again.body.batchId).toBe(first.body.batchId);
    expect(recordings).toHaveLength(1);
    expect(predictions).toHaveLength(1);
  });
});

describe('ScreeningService.predict', () => {
  it("answers 200 with the prototype's prediction and confidence fields", async () => {
    const { service, jobs } = fakes(async () => succeeded);
    const reply = await service.predict(staged(0), {});
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ status: 'succeeded', prediction: 'abnormal', label: 'abnormal', confidence: 0.8, fileName: 'r0.wav' });
    expect(jobs).toHaveLength(1);
  });

  it('answers 202 with a status URL when the job outlasts PREDICT_TIMEOUT_MS', async () => {
    const { service } = fakes(async () => {
      throw new JobTimeoutError('job', 50);
    });
    const reply = await service.predict(staged(0), {});
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ status: 'pending', statusUrl: expect.stringMatching(/^\/api\/v1\/predictions\//) });
    expect(reply.headers?.Location).toBe((reply.body as { statusUrl: string }).statusUrl);
  });

  it("answers 422 with the worker's error code for a recording that cannot be screened", async () => {
    const { service } = fakes(async () => ({ status: 'failed', error: { code: 'TOO_SHORT', message: 'The recording lasts 1.00 s' } }));
    const reply = await service.predict(staged(0), {});
    expect(reply).toMatchObject({ status: 422, body: { statusCode: 422, code: 'TOO_SHORT' } });
  });
});
