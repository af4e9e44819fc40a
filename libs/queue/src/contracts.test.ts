import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  JOB_CONTRACTS,
  modelPromotedEventSchema,
  parseModelPromotedEvent,
  predictionJobSchema,
  predictionResultSchema,
  QUEUE_NAMES,
  trainingJobSchema,
} from './contracts';

const validPredictionJob = () => ({
  recordingId: randomUUID(),
  storageKey: `recordings/${'a'.repeat(64)}`,
  requestedAt: new Date().toISOString(),
});

describe('prediction job payload', () => {
  it('accepts the minimal payload and fills in the schema version', () => {
    const parsed = predictionJobSchema.parse(validPredictionJob());
    expect(parsed.schemaVersion).toBe(1);
    expect(parsed.batchId).toBeUndefined();
  });

  it('accepts an optional batch, prediction row and pinned model version', () => {
    const payload = {
      ...validPredictionJob(),
      batchId: randomUUID(),
      predictionId: randomUUID(),
      modelVersion: '1.2.0',
    };
    expect(predictionJobSchema.parse(payload)).toMatchObject(payload);
  });

  it('rejects a recording id that is not a uuid', () => {
    const result = predictionJobSchema.safeParse({ ...validPredictionJob(), recordingId: '42' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['recordingId']);
  });

  it('rejects a payload without a storage key', () => {
    const { storageKey: _omitted, ...payload } = validPredictionJob();
    expect(predictionJobSchema.safeParse(payload).success).toBe(false);
  });

  it('rejects a requestedAt that is not an ISO timestamp', () => {
    expect(predictionJobSchema.safeParse({ ...validPredictionJob(), requestedAt: 'yesterday' }).success).toBe(
      false,
    );
  });

  it('rejects a future schema version it does not understand', () => {
    expect(predictionJobSchema.safeParse({ ...validPredictionJob(), schemaVersion: 2 }).success).toBe(false);
  });
});

describe('prediction job result', () => {
  const succeeded = {
    status: 'succeeded',
    label: 'abnormal',
    probability: 0.91,
    quality: 0.8,
    windows: [{ startSeconds: 0, endSeconds: 5, probability: 0.91 }],
    modelVersion: '1.0.0',
    latencyMs: 42,
  };

  it('accepts a successful prediction', () => {
    expect(predictionResultSchema.parse(succeeded)).toEqual(succeeded);
  });

  it('accepts a failure with a stable error code', () => {
    const failed = {
      status: 'failed',
      error: { code: 'TOO_SHORT', message: 'Recording is 1.2 s long; at least 2 s are needed' },
    };
    expect(predictionResultSchema.parse(failed)).toEqual(failed);
  });

  it('rejects a label outside normal, abnormal and unsure', () => {
    expect(predictionResultSchema.safeParse({ ...succeeded, label: 'murmur' }).success).toBe(false);
  });

  it('rejects a probability above 1', () => {
    expect(predictionResultSchema.safeParse({ ...succeeded, probability: 1.5 }).success).toBe(false);
  });

  it('rejects an error code that is not UPPER_SNAKE_CASE', () => {
    expect(
      predictionResultSchema.safeParse({ status: 'failed', error: { code: 'decode failed', message: 'x' } })
        .success,
    ).toBe(false);
  });
});

describe('training job payload', () => {
  it('defaults to a full retrain with no parameters', () => {
    expect(trainingJobSchema.parse({ runId: randomUUID() })).toMatchObject({
      kind: 'retrain',
      params: {},
      schemaVersion: 1,
    });
  });

  it('rejects an unknown run kind', () => {
    expect(trainingJobSchema.safeParse({ runId: randomUUID(), kind: 'finetune' }).success).toBe(false);
  });
});

describe('model promoted event', () => {
  const event = {
    version: '1.1.0',
    artifactKeys: { onnx: 'models/1.1.0/model.onnx' },
    promotedAt: new Date().toISOString(),
  };

  it('round-trips through JSON', () => {
    expect(parseModelPromotedEvent(JSON.stringify(event))).toEqual({ ...event, schemaVersion: 1 });
  });

  it('rejects a message that is not JSON with a readable error', () => {
    expect(() => parseModelPromotedEvent('promoted 1.1.0')).toThrow(/not JSON/);
  });

  it('rejects an event without artifact keys', () => {
    expect(
      modelPromotedEventSchema.safeParse({ version: '1.1.0', promotedAt: event.promotedAt }).success,
    ).toBe(false);
  });
});

describe('job contracts', () => {
  it('has a payload and result schema for every queue', () => {
    for (const name of Object.values(QUEUE_NAMES)) {
      expect(JOB_CONTRACTS[name].payload).toBeDefined();
      expect(JOB_CONTRACTS[name].result).toBeDefined();
    }
  });
});
