import { randomUUID } from 'node:crypto';
import { AudioError } from '@heartbeat/audio';
import type { NewPrediction, Prediction, PredictionOutcome } from '@heartbeat/db';
import {
  DEFAULT_MODEL_INPUT,
  DynamicBatcher,
  WINDOW_VALUES,
  describeModelInput,
  type ModelManifest,
  type PreparedRecording,
} from '@heartbeat/model';
import type { ServedModel } from '@heartbeat/model-registry';
import { DependencyUnavailableError, predictionResultSchema, type PredictionJob } from '@heartbeat/queue';
import { ObjectNotFoundError } from '@heartbeat/storage';
import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { PREDICTION_FAILED_CODE, PredictionProcessor, type JobOutcome } from './prediction-processor';

const manifest = (version: string): ModelManifest => ({
  schemaVersion: 1,
  name: 'fake',
  version,
  createdAt: new Date(0).toISOString(),
  input: describeModelInput(),
  decision: { calibration: { slope: 1, intercept: 0 }, threshold: 0.5, minimumQuality: 0.2 },
  artifacts: { tfjs: 'model.json' },
});

/** A served model whose every window logit is `logit`. */
function servedModel(version: string, logit: number): ServedModel {
  const classifier = {
    backend: 'fake-cpu',
    predictLogits: async (_batch: Float32Array, n: number) => new Float32Array(n).fill(logit),
    dispose: async () => undefined,
  };
  return {
    version,
    manifest: manifest(version),
    input: DEFAULT_MODEL_INPUT,
    backend: 'fake-cpu',
    dir: '/nowhere',
    classifier,
    batcher: new DynamicBatcher(classifier, { maxBatchSize: 16, maxWaitMs: 0 }),
  };
}

const prepared = (windows: number, quality = 0.9): PreparedRecording => ({
  signal: new Float32Array(0),
  features: new Float32Array(windows * WINDOW_VALUES),
  windowCount: windows,
  startSeconds: Array.from({ length: windows }, (_, i) => i * 2.5),
  quality,
  durationSeconds: 2.5 * (windows - 1) + 5,
  sourceSampleRate: 4000,
  sourceFormat: 'wav',
  channels: 1,
});

class FakePredictions {
  completed = new Map<string, PredictionOutcome>();
  failed = new Map<string, { code: string; message: string }>();
  created: NewPrediction[] = [];
  down = false;
  async complete(id: string, outcome: PredictionOutcome) {
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    this.completed.set(id, outcome);
    return undefined;
  }
  async fail(id: string, error: { code: string; message: string }) {
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    this.failed.set(id, error);
    return undefined;
  }
  async create(row: NewPrediction) {
    this.created.push(row);
    return { ...row, id: 'created-id' } as Prediction;
  }
}

function setup(
  overrides: {
    bytes?: () => Promise<Buffer>;
    prepare?: () => Promise<PreparedRecording>;
    model?: ServedModel;
    unavailableDependency?: (error: unknown) => string | undefined;
  } = {},
) {
  const predictions = new FakePredictions();
  const batchOutcomes: [string, string][] = [];
  const outcomes: JobOutcome[] = [];
  let model = overrides.model ?? servedModel('1.0.0', 2);
  const processor = new PredictionProcessor({
    recordings: { read: overrides.bytes ?? (async () => Buffer.from('RIFF')) },
    // One statement in the real repository: the prediction row and its batch's count together.
    screening: {
      completePrediction: async (id, batchId, outcome) => {
        await predictions.complete(id, outcome);
        if (batchId) batchOutcomes.push([batchId, 'succeeded']);
        return true;
      },
      failPrediction: async (id, batchId, failure) => {
        await predictions.fail(id, failure);
        if (batchId) batchOutcomes.push([batchId, 'failed']);
        return true;
      },
    },
    predictions,
    batches: {
      recordOutcome: async (id, outcome) => {
        batchOutcomes.push([id, outcome]);
        return undefined;
      },
    },
    models: { acquire: () => ({ value: model, release: () => undefined }) },
    prepare: overrides.prepare ?? (async () => prepared(3)),
    unavailableDependency: overrides.unavailableDependency,
    onJobFinished: ({ outcome }) => outcomes.push(outcome),
  });
  return { processor, predictions, batchOutcomes, outcomes, setModel: (m: ServedModel) => (model = m) };
}

const job = (overrides: Partial<PredictionJob> = {}): PredictionJob => ({
  schemaVersion: 1,
  recordingId: randomUUID(),
  storageKey: `recordings/${'a'.repeat(64)}`,
  predictionId: randomUUID(),
  requestedAt: new Date().toISOString(),
  ...overrides,
});
const attempt = (attemptsMade = 0, attempts = 3) => ({ id: '1', attemptsMade, opts: { attempts } });

describe('PredictionProcessor', () => {
  it('completes the prediction row and returns a result that matches the queue contract', async () => {
    const { processor, predictions, outcomes } = setup();
    const payload = job();
    const result = await processor.process(payload, attempt());
    expect(predictionResultSchema.parse(result)).toEqual(result);
    expect(result).toMatchObject({
      status: 'succeeded',
      predictionId: payload.predictionId,
      label: 'abnormal',
      modelVersion: '1.0.0',
    });
    const row = predictions.completed.get(payload.predictionId!)!;
    expect(row.probability).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    expect(row.windowScores).toEqual([
      { startSeconds: 0, endSeconds: 5, probability: expect.closeTo(0.8808, 4) },
      { startSeconds: 2.5, endSeconds: 7.5, probability: expect.closeTo(0.8808, 4) },
      { startSeconds: 5, endSeconds: 10, probability: expect.closeTo(0.8808, 4) },
    ]);
    expect(row.qualityScore).toBe(0.9);
    expect(row.decision).toEqual({
      calibration: { slope: 1, intercept: 0 },
      threshold: 0.5,
      minimumQuality: 0.2,
    });
    expect(outcomes).toEqual(['succeeded']);
  });

  it('ends a short clip window at the end of the recording, not at the padded 5 s', async () => {
    const { processor, predictions } = setup({
      prepare: async () => ({ ...prepared(1), durationSeconds: 3.2 }),
    });
    const payload = job();
    await processor.process(payload, attempt());
    expect(predictions.completed.get(payload.predictionId!)!.windowScores).toEqual([
      { startSeconds: 0, endSeconds: 3.2, probability: expect.any(Number) },
    ]);
  });

  it('answers unsure when the signal quality is below the model minimum', async () => {
    const { processor } = setup({ prepare: async () => prepared(2, 0.05) });
    expect(await processor.process(job(), attempt())).toMatchObject({ label: 'unsure', quality: 0.05 });
  });

  it('counts a success on the batch when the job belongs to one', async () => {
    const { processor, batchOutcomes } = setup();
    const batchId = randomUUID();
    await processor.process(job({ batchId }), attempt());
    expect(batchOutcomes).toEqual([[batchId, 'succeeded']]);
  });

  it('creates the prediction row itself when the producer did not', async () => {
    const { processor, predictions } = setup();
    const result = await processor.process(job({ predictionId: undefined }), attempt());
    expect(result.predictionId).toBe('created-id');
    expect(predictions.created[0]).toMatchObject({
      status: 'succeeded',
      label: 'abnormal',
      modelVersion: '1.0.0',
    });
  });

  it('answers bad audio with a failed result carrying its typed code (no retry, no dead letter), and records it on the row and the batch', async () => {
    const { processor, predictions, batchOutcomes, outcomes } = setup({
      prepare: async () => {
        throw new AudioError('UNSUPPORTED_FORMAT', 'Unsupported audio format: got a PNG file');
      },
    });
    const payload = job({ batchId: randomUUID() });
    const result = await processor.process(payload, attempt());
    expect(result).toMatchObject({
      status: 'failed',
      predictionId: payload.predictionId,
      error: { code: 'UNSUPPORTED_FORMAT', message: 'Unsupported audio format: got a PNG file' },
      modelVersion: '1.0.0',
    });
    expect(predictions.failed.get(payload.predictionId!)).toMatchObject({
      code: 'UNSUPPORTED_FORMAT',
      modelVersion: '1.0.0',
    });
    expect(batchOutcomes).toEqual([[payload.batchId, 'failed']]);
    expect(outcomes).toEqual(['rejected']);
  });

  it('treats a recording missing from storage as bad input', async () => {
    const { processor, predictions } = setup({
      bytes: async () => {
        throw new ObjectNotFoundError('recordings/x');
      },
    });
    const payload = job();
    await expect(processor.process(payload, attempt())).resolves.toMatchObject({
      status: 'failed',
      error: { code: 'RECORDING_BYTES_MISSING' },
    });
    expect(predictions.failed.get(payload.predictionId!)?.code).toBe('RECORDING_BYTES_MISSING');
  });

  it('rethrows a storage outage for BullMQ to retry, leaving the row pending', async () => {
    const { processor, predictions, batchOutcomes, outcomes } = setup({
      bytes: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:4569');
      },
    });
    const payload = job({ batchId: randomUUID() });
    const failure = processor.process(payload, attempt(0, 3));
    await expect(failure).rejects.toThrow('ECONNREFUSED');
    await expect(failure).rejects.not.toBeInstanceOf(UnrecoverableError);
    expect(predictions.failed.size).toBe(0);
    expect(batchOutcomes).toEqual([]);
    expect(outcomes).toEqual(['error']);
  });

  it('marks the row and batch failed when the last attempt fails for a transient reason', async () => {
    const { processor, predictions, batchOutcomes } = setup({
      bytes: async () => {
        throw new Error('socket hang up');
      },
    });
    const payload = job({ batchId: randomUUID() });
    await expect(processor.process(payload, attempt(2, 3))).rejects.toThrow('socket hang up');
    expect(predictions.failed.get(payload.predictionId!)).toMatchObject({
      code: PREDICTION_FAILED_CODE,
      message: 'Prediction failed after 3 attempts: socket hang up',
    });
    expect(batchOutcomes).toEqual([[payload.batchId, 'failed']]);
  });

  it('rethrows a database outage while saving, so the job is retried', async () => {
    const { processor, predictions } = setup();
    predictions.down = true;
    await expect(processor.process(job(), attempt())).rejects.toThrow('ECONNREFUSED');
  });

  // What the worker's classifier would say of these errors (the real one is tested against real S3 and Postgres).
  const byPort = (error: unknown) =>
    /4569/.test((error as Error).message)
      ? 'Object storage'
      : /5432/.test((error as Error).message)
        ? 'The database'
        : undefined;

  it('puts the job back, writing nothing, when storage is out of reach, even on its last attempt', async () => {
    const { processor, predictions, batchOutcomes, outcomes } = setup({
      bytes: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:4569');
      },
      unavailableDependency: byPort,
    });
    const payload = job({ batchId: randomUUID() });
    const held = processor.process(payload, attempt(2, 3));
    await expect(held).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(held).rejects.toThrow('Object storage is unreachable: connect ECONNREFUSED 127.0.0.1:4569');
    expect(predictions.failed.size).toBe(0);
    expect(batchOutcomes).toEqual([]);
    expect(outcomes).toEqual(['held']);
  });

  it('puts the job back when the database is out of reach while recording a rejection', async () => {
    const { processor, predictions, outcomes } = setup({
      prepare: async () => {
        throw new AudioError('UNSUPPORTED_FORMAT', 'Unsupported audio format: got a PNG file');
      },
      unavailableDependency: byPort,
    });
    predictions.down = true;
    await expect(processor.process(job(), attempt())).rejects.toThrow(
      'The database is unreachable: connect ECONNREFUSED 127.0.0.1:5432',
    );
    expect(outcomes).toEqual(['held']);
  });

  it('rejects a job pinned to a version this worker does not serve', async () => {
    const { processor, predictions } = setup();
    const payload = job({ modelVersion: '9.9.9' });
    await expect(processor.process(payload, attempt())).resolves.toMatchObject({
      status: 'failed',
      error: { code: 'MODEL_VERSION_UNAVAILABLE' },
    });
    expect(predictions.failed.get(payload.predictionId!)?.code).toBe('MODEL_VERSION_UNAVAILABLE');
  });

  it('uses the model current when the job started, and counts in-flight jobs', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { processor, setModel } = setup({
      bytes: async () => {
        await gate;
        return Buffer.from('x');
      },
    });
    const running = processor.process(job(), attempt());
    expect(processor.inFlight).toBe(1);
    setModel(servedModel('2.0.0', -2));
    release();
    expect(await running).toMatchObject({ modelVersion: '1.0.0', label: 'abnormal' });
    expect(processor.inFlight).toBe(0);
    expect(await processor.process(job(), attempt())).toMatchObject({
      modelVersion: '2.0.0',
      label: 'normal',
    });
  });
});
