import { describe, expect, it, vi } from 'vitest';
import type { Config } from '@heartbeat/config';
import type { Batch, NewPrediction, NewRecording, Prediction, Recording } from '@heartbeat/db';
import { JobTimeoutError, type PredictionResult } from '@heartbeat/queue';
import { ApiError } from '../common/api-error';
import { GatewayMetrics } from '../telemetry/gateway-metrics';
import type { StagedRecording } from '../uploads/uploads.service';
import { ScreeningService } from './screening.service';

const config = { gateway: { predictTimeoutMs: 50 }, s3: { presignedUrlTtlSeconds: 60 } } as unknown as Config;

function staged(index: number, name = `r${index}.wav`): StagedRecording {
  return {
    index,
    fileName: name,
    storageKey: `recordings/${'a'.repeat(63)}${index}`,
    sha256: `${'a'.repeat(63)}${index}`,
    sizeBytes: 100,
    format: 'wav',
  };
}

function fakes(result: () => Promise<PredictionResult>, { handoffDown = false, queueDown = false } = {}) {
  const recordings: Recording[] = [];
  const handedOff = new Map<string, Buffer>();
  /** Each offerMany call: its predictions, and how many jobs were queued when it came. */
  const groupOffers: { predictionIds: string[]; jobsQueuedBefore: number }[] = [];
  const predictions: Prediction[] = [];
  const batches: Batch[] = [];
  const audit: { action: string; details: unknown }[] = [];
  const jobs: { predictionId: string; recordingId: string; storageKey: string; batchId?: string }[] = [];
  const removedJobs: string[] = [];
  /** Job ids a worker has started: removeWaiting leaves them alone. */
  const started = new Set<string>();
  const batch = (id: string) => batches.find((b) => b.id === id)!;
  /** Flip to take Redis out: every batch queue call throws, as ioredis does once its retries run out. */
  const outage = { redis: false };
  const redis = <T>(work: () => T): T => {
    if (outage.redis) throw new Error('Reached the max retries per request limit');
    return work();
  };
  const metrics = new GatewayMetrics({ defaultMetrics: false });
  // One statement in the real repository: recording, pending prediction and the batch's count.
  const registerUpload = async ({
    recording,
    predictionId,
    batchId,
  }: {
    recording: NewRecording;
    predictionId: string;
    batchId?: string;
  }) => {
    const row = { ...recording, id: `rec-${recordings.length}`, createdAt: new Date() } as Recording;
    recordings.push(row);
    predictions.push({
      id: predictionId,
      recordingId: row.id,
      batchId,
      status: 'pending',
      jobId: predictionId,
      createdAt: new Date(),
    } as Prediction);
    if (batchId && batch(batchId).status === 'receiving') batch(batchId).totalCount++;
    return { recordingId: row.id, storageKey: row.storageKey, predictionId };
  };
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
      // One statement for several files of a batch in the real repository.
      registerUploads: async (
        batchId: string,
        uploads: { recording: NewRecording; predictionId: string }[],
      ) => {
        const results = [];
        for (const upload of uploads) results.push(await registerUpload({ ...upload, batchId }));
        return results;
      },
      registerUpload,
      // As the real one: only a pending prediction fails, and its batch counts it unless cancelled or completed.
      failPrediction: async (id: string, batchId: string | undefined, error: { code: string }) => {
        const prediction = predictions.find((p) => p.id === id);
        if (prediction?.status !== 'pending') return false;
        Object.assign(prediction, { status: 'failed', errorCode: error.code });
        if (batchId && ['receiving', 'pending', 'running', 'failed'].includes(batch(batchId).status))
          batch(batchId).failedCount++;
        return true;
      },
    } as never,
    {
      create: async (p: NewPrediction) => predictions.push({ ...p, createdAt: new Date() } as Prediction),
      fail: async (id: string, error: { code: string }) =>
        Object.assign(
          predictions.find((p) => p.id === id)!,
          { status: 'failed', errorCode: error.code },
        ),
      listPendingIds: async (batchId: string) =>
        predictions.filter((p) => p.batchId === batchId && p.status === 'pending').map((p) => p.id),
      list: async (filter: { batchId?: string }) => {
        const items = predictions.filter((p) => p.batchId === filter.batchId);
        return { items, total: items.length, limit: 1000, offset: 0 };
      },
    } as never,
    {
      create: async ({
        totalCount,
        idempotencyKey,
        receiving,
      }: {
        totalCount: number;
        idempotencyKey?: string;
        receiving?: boolean;
      }) => {
        const existing = batches.find((b) => idempotencyKey && b.idempotencyKey === idempotencyKey);
        if (existing) return { batch: existing, created: false };
        const row = {
          id: `batch-${batches.length}`,
          status: receiving ? 'receiving' : 'pending',
          totalCount,
          succeededCount: 0,
          failedCount: 0,
          idempotencyKey,
          createdAt: new Date(),
          finishedAt: null,
        } as Batch;
        batches.push(row);
        return { batch: { ...row }, created: true };
      },
      findByIdempotencyKey: async (key: string) => batches.find((b) => b.idempotencyKey === key),
      countReceived: async (id: string, { rejected = false } = {}) => {
        const row = batch(id);
        row.totalCount++;
        if (rejected) row.failedCount++;
        return { ...row };
      },
      finishReceiving: async (id: string, totalCount: number) =>
        batch(id).status === 'receiving'
          ? Object.assign(batch(id), { totalCount, status: 'running' })
          : undefined,
      abandonReceiving: async (id: string) =>
        batch(id).status === 'receiving'
          ? Object.assign(batch(id), { status: 'failed', idempotencyKey: null })
          : undefined,
      recordOutcome: async (id: string) => {
        batch(id).failedCount++;
        return batch(id);
      },
      findById: async (id: string) => batches.find((b) => b.id === id),
    } as never,
    {
      record: async (event: { action: string; details: unknown }) => audit.push(event),
      list: async () => ({ items: [], total: 0, limit: 1000, offset: 0 }),
    } as never,
    {
      enqueueMany: async (payloads: typeof jobs) =>
        redis(() => (jobs.push(...payloads), payloads.map((p) => p.predictionId))),
      withoutJob: async (ids: string[]) =>
        redis(() => ids.filter((id) => !jobs.some((j) => j.predictionId === id) || removedJobs.includes(id))),
      enqueueInteractive: async (payload: (typeof jobs)[number]) => {
        if (queueDown) throw new Error('Reached the max retries per request limit');
        jobs.push(payload);
        return { id: payload.predictionId };
      },
      removeWaiting: async (ids: string[]) =>
        redis(() => {
          const removed = ids.filter((id) => !started.has(id));
          removedJobs.push(...removed);
          return removed;
        }),
      waitForResult: result,
    } as never,
    {} as never,
    {
      offer: async (key: string, bytes: Buffer) => {
        if (handoffDown) throw new Error('Redis is down');
        handedOff.set(key, bytes);
        return true;
      },
      offerMany: async (offers: { predictionId: string; bytes: Buffer }[]) => {
        if (handoffDown) throw new Error('Redis is down');
        groupOffers.push({ predictionIds: offers.map((o) => o.predictionId), jobsQueuedBefore: jobs.length });
        for (const { predictionId, bytes } of offers) handedOff.set(predictionId, bytes);
        return offers.map(() => true);
      },
    },
    metrics,
    config,
  );
  return {
    service,
    recordings,
    predictions,
    batches,
    audit,
    jobs,
    removedJobs,
    started,
    metrics,
    handedOff,
    groupOffers,
    outage,
  };
}

const succeeded: PredictionResult = {
  status: 'succeeded',
  label: 'abnormal',
  probability: 0.8,
  quality: 0.9,
  windows: [],
  modelVersion: '1.0.0',
  latencyMs: 4,
};

describe('ScreeningService.submitBatch', () => {
  it('creates one recording, one pending prediction and one job per staged file', async () => {
    const { service, recordings, predictions, jobs } = fakes(async () => succeeded);
    const reply = await service.submitBatch(
      { staged: [staged(0), staged(1)], rejected: [] },
      { keyId: 'key-1' },
    );
    expect(reply.status).toBe(202);
    expect(recordings.map((r) => [r.originalFileName, r.uploadedBy])).toEqual([
      ['r0.wav', 'key-1'],
      ['r1.wav', 'key-1'],
    ]);
    expect(
      predictions.every(
        (p) => p.status === 'pending' && p.jobId === p.id && p.batchId === reply.body.batchId,
      ),
    ).toBe(true);
    expect(jobs).toEqual(
      predictions.map((p, i) =>
        expect.objectContaining({
          predictionId: p.id,
          recordingId: recordings[i]!.id,
          storageKey: recordings[i]!.storageKey,
          batchId: reply.body.batchId,
        }),
      ),
    );
  });

  it('counts a rejected file as failed in the batch and lists it in order, without queuing it', async () => {
    const { service, jobs, audit } = fakes(async () => succeeded);
    const reply = await service.submitBatch(
      {
        staged: [staged(0), staged(2)],
        rejected: [
          {
            index: 1,
            fileName: 'x.png',
            statusCode: 415,
            code: 'UNSUPPORTED_FORMAT',
            message: 'got a PNG image',
          },
        ],
      },
      {},
    );
    expect(reply.body).toMatchObject({ total: 3, accepted: 2, rejected: 1, failed: 1 });
    expect(reply.body.files.map((f) => [f.index, f.status, f.code])).toEqual([
      [0, 'queued', undefined],
      [1, 'rejected', 'UNSUPPORTED_FORMAT'],
      [2, 'queued', undefined],
    ]);
    expect(jobs).toHaveLength(2);
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'batch.file_rejected',
        details: expect.objectContaining({ fileName: 'x.png' }),
      }),
    ]);
  });

  it('answers with the rejection itself when no file can be screened', async () => {
    const { service, batches } = fakes(async () => succeeded);
    const error = await service
      .submitBatch(
        {
          staged: [],
          rejected: [
            {
              index: 0,
              fileName: 'x.png',
              statusCode: 415,
              code: 'UNSUPPORTED_FORMAT',
              message: 'got a PNG image',
            },
          ],
        },
        {},
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ statusCode: 415, code: 'UNSUPPORTED_FORMAT' });
    expect(batches).toHaveLength(0);
  });

  it('refuses an empty submission with NO_FILES', async () => {
    const { service } = fakes(async () => succeeded);
    await expect(service.submitBatch({ staged: [], rejected: [] }, {})).rejects.toMatchObject({
      statusCode: 400,
      code: 'NO_FILES',
    });
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

describe('ScreeningService.receiveBatch (multipart uploads)', () => {
  const rejectedPng = {
    index: 1,
    fileName: 'x.png',
    statusCode: 415,
    code: 'UNSUPPORTED_FORMAT' as const,
    message: 'got a PNG image',
  };

  it('queues each recording as soon as it is accepted, while the batch is still receiving', async () => {
    const { service, jobs, batches } = fakes(async () => succeeded);
    const intake = await service.receiveBatch({ keyId: 'key-1' });
    await intake.accept(staged(0));
    expect(jobs).toHaveLength(1);
    expect(batches[0]).toMatchObject({ status: 'receiving', totalCount: 1 });
    await intake.accept(staged(1));
    expect(jobs.map((j) => j.batchId)).toEqual([batches[0]!.id, batches[0]!.id]);
    const reply = await intake.finish();
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ status: 'running', total: 2, accepted: 2, rejected: 0 });
  });

  it('with gatherMs, registers files stored a little apart as one group, handing their bytes off in one offer before queuing them', async () => {
    vi.useFakeTimers();
    try {
      const { service, jobs, recordings, groupOffers } = fakes(async () => succeeded);
      const intake = await service.receiveBatch({}, undefined, { gatherMs: 50 });
      const first = intake.accept({ ...staged(0), bytes: Buffer.from('RIFF0') });
      await vi.advanceTimersByTimeAsync(20);
      const second = intake.accept({ ...staged(1), bytes: Buffer.from('RIFF1') });
      await vi.advanceTimersByTimeAsync(20);
      expect(recordings).toHaveLength(0); // 40 ms after the first file: its group is still gathering
      await vi.advanceTimersByTimeAsync(20);
      await Promise.all([first, second]);
      expect(recordings).toHaveLength(2);
      expect(groupOffers).toEqual([
        { predictionIds: jobs.map((job) => job.predictionId), jobsQueuedBefore: 0 },
      ]);
      expect(jobs.map((job) => job.recordingId)).toEqual(recordings.map((recording) => recording.id));
    } finally {
      vi.useRealTimers();
    }
  });

  it('counts a file rejected before the first accepted one once the batch exists', async () => {
    const { service, batches, audit } = fakes(async () => succeeded);
    const intake = await service.receiveBatch({});
    await intake.reject({ ...rejectedPng, index: 0 });
    expect(batches).toHaveLength(0);
    await intake.accept(staged(1));
    expect(batches[0]).toMatchObject({ totalCount: 2, failedCount: 1 });
    const reply = await intake.finish();
    expect(reply.body.files.map((f) => [f.index, f.status])).toEqual([
      [0, 'rejected'],
      [1, 'queued'],
    ]);
    expect(audit).toHaveLength(1);
  });

  it('creates no batch and answers with the rejection when every file is refused', async () => {
    const { service, batches } = fakes(async () => succeeded);
    const intake = await service.receiveBatch({});
    await intake.reject(rejectedPng);
    await expect(intake.finish()).rejects.toMatchObject({ statusCode: 415, code: 'UNSUPPORTED_FORMAT' });
    expect(batches).toHaveLength(0);
  });

  it('on a failed upload fails the batch, takes back jobs not started and fails their predictions', async () => {
    const { service, batches, jobs, predictions, removedJobs, started } = fakes(async () => succeeded);
    const intake = await service.receiveBatch({}, 'scope-abandoned');
    await intake.accept(staged(0));
    await intake.accept(staged(1));
    started.add(jobs[0]!.predictionId);
    await intake.abandon();
    expect(batches[0]).toMatchObject({ status: 'failed', idempotencyKey: null });
    expect(removedJobs).toEqual([jobs[1]!.predictionId]);
    expect(predictions.map((p) => p.status)).toEqual(['pending', 'failed']);
    expect(predictions[1]!.errorCode).toBe('UPLOAD_ABORTED');
    // The recording failed with UPLOAD_ABORTED counts as failed in the batch.
    expect(batches[0]).toMatchObject({ totalCount: 2, failedCount: 1 });
  });

  it('with Redis out mid-upload, fails the recordings it never queued instead of leaving them pending', async () => {
    const { service, batches, predictions, outage } = fakes(async () => succeeded);
    const intake = await service.receiveBatch({}, 'scope-redis-out');
    await intake.accept(staged(0));
    outage.redis = true;
    await expect(intake.accept(staged(1))).rejects.toThrow('max retries');
    await intake.abandon();
    expect(batches[0]).toMatchObject({ status: 'failed', failedCount: 1 });
    // The queued one keeps its job (screened when Redis is back); the other will never have one.
    expect(predictions.map((p) => [p.status, p.errorCode])).toEqual([
      ['pending', undefined],
      ['failed', 'UPLOAD_ABORTED'],
    ]);
  });

  it('never answers a retry with a partial batch: a batch of the key still receiving (its request died) is ended and the retry starts afresh', async () => {
    const { service, batches, predictions, removedJobs } = fakes(async () => succeeded);
    const died = await service.receiveBatch({}, 'scope-retried');
    await died.accept(staged(0));
    await died.accept(staged(1));
    // The request died here: no finish(), no abandon().

    const retry = await service.receiveBatch({}, 'scope-retried');
    expect(retry.alreadySubmitted).toBe(false);
    for (const index of [0, 1, 2]) await retry.accept(staged(index));
    const reply = await retry.finish();

    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ total: 3, accepted: 3 });
    expect(reply.body.batchId).not.toBe(batches[0]!.id);
    expect(batches[0]).toMatchObject({
      status: 'failed',
      idempotencyKey: null,
      totalCount: 2,
      failedCount: 2,
    });
    expect(removedJobs).toEqual(predictions.slice(0, 2).map((p) => p.id));
    expect(predictions.slice(0, 2).map((p) => p.errorCode)).toEqual(['UPLOAD_ABORTED', 'UPLOAD_ABORTED']);
  });

  it('answers 409 UPLOAD_ENDED, not 202, when its batch was ended while the upload was still arriving', async () => {
    const { service, batches } = fakes(async () => succeeded);
    const intake = await service.receiveBatch({}, 'scope-slow');
    await intake.accept(staged(0));
    batches[0]!.status = 'failed';
    await expect(intake.finish()).rejects.toMatchObject({ statusCode: 409, code: 'UPLOAD_ENDED' });
  });

  it('says a batch already exists for the idempotency key, and answers with it without creating anything', async () => {
    const { service, recordings } = fakes(async () => succeeded);
    const first = await service.receiveBatch({}, 'scope-2');
    await first.accept(staged(0));
    const created = await first.finish();
    const again = await service.receiveBatch({}, 'scope-2');
    expect(again.alreadySubmitted).toBe(true);
    expect((await again.finish()).body.batchId).toBe(created.body.batchId);
    expect(recordings).toHaveLength(1);
  });

  it('counts batches created and predictions queued', async () => {
    const { service, metrics } = fakes(async () => succeeded);
    const intake = await service.receiveBatch({});
    await intake.accept(staged(0));
    await intake.finish();
    await service.predict(staged(1), {});
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/heartbeat_gateway_batches_created_total\{service="gateway"\} 1/);
    expect(text).toMatch(/heartbeat_gateway_predictions_queued_total\{source="batch",service="gateway"\} 1/);
    expect(text).toMatch(
      /heartbeat_gateway_predictions_queued_total\{source="predict",service="gateway"\} 1/,
    );
  });
});

describe('ScreeningService.predict', () => {
  it("answers 200 with the prototype's prediction and confidence fields", async () => {
    const { service, jobs } = fakes(async () => succeeded);
    const reply = await service.predict(staged(0), {});
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      status: 'succeeded',
      prediction: 'abnormal',
      label: 'abnormal',
      confidence: 0.8,
      fileName: 'r0.wav',
    });
    expect(jobs).toHaveLength(1);
  });

  it('hands a small upload to the worker under its prediction id before queuing the job', async () => {
    const { service, jobs, handedOff } = fakes(async () => succeeded);
    await service.predict({ ...staged(0), bytes: Buffer.from('RIFF') }, {});
    expect([...handedOff.keys()]).toEqual([jobs[0]!.predictionId]);
  });

  it('still screens the recording when the handoff cannot be written (the worker reads storage)', async () => {
    const { service, jobs } = fakes(async () => succeeded, { handoffDown: true });
    const reply = await service.predict({ ...staged(0), bytes: Buffer.from('RIFF') }, {});
    expect(reply.status).toBe(200);
    expect(jobs).toHaveLength(1);
  });

  it('answers 202 with a status URL when the job outlasts PREDICT_TIMEOUT_MS', async () => {
    const { service } = fakes(async () => {
      throw new JobTimeoutError('job', 50);
    });
    const reply = await service.predict(staged(0), {});
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({
      status: 'pending',
      statusUrl: expect.stringMatching(/^\/api\/v1\/predictions\//),
    });
    expect(reply.headers?.Location).toBe((reply.body as { statusUrl: string }).statusUrl);
  });

  it('fails the stored prediction with NOT_QUEUED, instead of leaving it pending, when the queue cannot take the job', async () => {
    const { service, predictions } = fakes(async () => succeeded, { queueDown: true });
    await expect(service.predict(staged(0), {})).rejects.toThrow('Reached the max retries per request limit');
    expect(predictions).toHaveLength(1);
    expect(predictions[0]).toMatchObject({ status: 'failed', errorCode: 'NOT_QUEUED' });
  });

  it("answers 422 with the worker's error code for a recording that cannot be screened", async () => {
    const { service } = fakes(async () => ({
      status: 'failed',
      error: { code: 'TOO_SHORT', message: 'The recording lasts 1.00 s' },
    }));
    const reply = await service.predict(staged(0), {});
    expect(reply).toMatchObject({ status: 422, body: { statusCode: 422, code: 'TOO_SHORT' } });
  });
});
