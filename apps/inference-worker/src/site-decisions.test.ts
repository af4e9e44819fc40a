import { randomUUID } from 'node:crypto';
import type { PredictionOutcome, SiteCalibration, SiteWithCalibration } from '@heartbeat/db';
import {
  DEFAULT_MODEL_INPUT,
  DynamicBatcher,
  WINDOW_VALUES,
  describeModelInput,
  type PreparedRecording,
} from '@heartbeat/model';
import type { ServedModel } from '@heartbeat/model-registry';
import { predictionResultSchema } from '@heartbeat/queue';
import { describe, expect, it } from 'vitest';
import { PredictionProcessor } from './prediction-processor';
import { SiteDecisions, UnknownSiteError } from './site-decisions';

const MODEL = { calibration: { slope: 1, intercept: 0 }, threshold: 0.5, minimumQuality: 0.2 };

function calibration(
  id: string,
  threshold: number,
  overrides: Partial<SiteCalibration> = {},
): SiteCalibration {
  return {
    id,
    siteId: 'site',
    status: 'active',
    baseModelVersion: '1.0.0',
    slope: 1,
    intercept: 0,
    threshold,
    refusalCode: null,
    refusalReason: null,
    normalRecords: 15,
    abnormalRecords: 15,
    metrics: {},
    trainingRunId: null,
    createdAt: new Date(0),
    ...overrides,
  };
}

/** Sites by name, counting look-ups. */
function source(sites: Record<string, SiteCalibration | undefined>) {
  const calls: string[] = [];
  return {
    calls,
    sites,
    async findWithActiveCalibration(name: string): Promise<SiteWithCalibration | undefined> {
      calls.push(name);
      if (!(name in sites)) return undefined;
      const now = new Date(0);
      return {
        site: { id: name, name, device: null, owner: null, createdAt: now, updatedAt: now },
        calibration: sites[name],
      };
    },
  };
}

describe('SiteDecisions', () => {
  it("decides with the model's own rule when the job names no site", async () => {
    const decisions = new SiteDecisions(source({}));
    expect(await decisions.decisionFor(undefined, MODEL)).toEqual({ policy: MODEL });
  });

  it("applies the site's calibration and threshold on top of the model's, naming the calibration", async () => {
    const decisions = new SiteDecisions(
      source({ north: calibration('c-north', 0.9, { slope: 2, intercept: -1 }) }),
    );
    const applied = await decisions.decisionFor('north', {
      ...MODEL,
      calibration: { slope: 0.5, intercept: 0.25 },
    });
    expect(applied).toEqual({
      site: 'north',
      calibrationId: 'c-north',
      policy: { calibration: { slope: 1, intercept: -0.5 }, threshold: 0.9, minimumQuality: 0.2 },
    });
  });

  it("uses the model's own rule for a site without a calibration yet, and says which site", async () => {
    const decisions = new SiteDecisions(source({ south: undefined }));
    expect(await decisions.decisionFor('south', MODEL)).toEqual({ policy: MODEL, site: 'south' });
  });

  it('refuses a site that does not exist', async () => {
    const decisions = new SiteDecisions(source({}));
    await expect(decisions.decisionFor('nowhere', MODEL)).rejects.toBeInstanceOf(UnknownSiteError);
  });

  it('looks a site up once while its rule is fresh, again after it expires or is invalidated', async () => {
    let now = 0;
    const sites = source({ north: calibration('c1', 0.6) });
    const decisions = new SiteDecisions(sites, { maxAgeMs: 1000, now: () => now });
    await Promise.all([decisions.ruleFor('north'), decisions.ruleFor('north')]);
    now = 999;
    await decisions.ruleFor('north');
    expect(sites.calls).toHaveLength(1);

    sites.sites.north = calibration('c2', 0.7);
    decisions.invalidate('north');
    expect((await decisions.ruleFor('north')).calibration?.id).toBe('c2');
    now = 2500;
    await decisions.ruleFor('north');
    expect(sites.calls).toHaveLength(3);
  });

  it('does not cache a failed look-up', async () => {
    const sites = source({});
    const decisions = new SiteDecisions(sites);
    await expect(decisions.ruleFor('late')).rejects.toThrow(/No site named "late"/);
    sites.sites.late = calibration('c-late', 0.5);
    expect((await decisions.ruleFor('late')).calibration?.id).toBe('c-late');
  });
});

describe('PredictionProcessor with sites', () => {
  /** A served model whose every window logit is 0.5 (probability 0.62 with the model's own calibration). */
  function served(): ServedModel {
    const classifier = {
      backend: 'fake-cpu',
      predictLogits: async (_: Float32Array, n: number) => new Float32Array(n).fill(0.5),
      dispose: async () => undefined,
    };
    return {
      version: '1.0.0',
      manifest: {
        schemaVersion: 1,
        name: 'fake',
        version: '1.0.0',
        createdAt: new Date(0).toISOString(),
        input: describeModelInput(),
        decision: MODEL,
        artifacts: { tfjs: 'model.json' },
      },
      input: DEFAULT_MODEL_INPUT,
      backend: 'fake-cpu',
      dir: '/nowhere',
      classifier,
      batcher: new DynamicBatcher(classifier, { maxBatchSize: 16, maxWaitMs: 0 }),
    };
  }
  const prepared: PreparedRecording = {
    signal: new Float32Array(0),
    features: new Float32Array(2 * WINDOW_VALUES),
    windowCount: 2,
    startSeconds: [0, 2.5],
    quality: 0.9,
    durationSeconds: 7.5,
    sourceSampleRate: 4000,
    sourceFormat: 'wav',
    channels: 1,
  };

  function processor(sites: Record<string, SiteCalibration | undefined>) {
    const completed = new Map<string, PredictionOutcome>();
    const model = served();
    let leases = 0;
    const subject = new PredictionProcessor({
      recordings: { read: async () => Buffer.from('RIFF') },
      screening: {
        completePrediction: async (id, _batch, outcome) => {
          completed.set(id, outcome);
          return true;
        },
        failPrediction: async () => true,
      },
      predictions: { create: async () => ({ id: 'created' }) as never },
      batches: { recordOutcome: async () => undefined },
      models: { acquire: () => (leases++, { value: model, release: () => undefined }) },
      sites: new SiteDecisions(source(sites)),
      prepare: async () => prepared,
    });
    return { subject, completed, leases: () => leases, model };
  }
  const job = (site?: string) => ({
    schemaVersion: 1 as const,
    recordingId: randomUUID(),
    storageKey: 'recordings/x',
    predictionId: randomUUID(),
    site,
    requestedAt: new Date().toISOString(),
  });
  const attempt = { id: '1', attemptsMade: 0, opts: { attempts: 3 } };

  it('gives two sites their own decisions on the same recording with the same model, and none its own', async () => {
    const ids = { strict: randomUUID(), lenient: randomUUID() };
    const { subject, completed, model } = processor({
      strict: calibration(ids.strict, 0.9),
      lenient: calibration(ids.lenient, 0.1),
    });
    const strict = await subject.process(job('strict'), attempt);
    const lenient = await subject.process(job('lenient'), attempt);
    const plain = await subject.process(job(), attempt);
    for (const result of [strict, lenient, plain])
      expect(predictionResultSchema.parse(result)).toEqual(result);
    expect(strict).toMatchObject({
      status: 'succeeded',
      label: 'normal',
      site: 'strict',
      calibrationId: ids.strict,
      threshold: 0.9,
      modelVersion: '1.0.0',
    });
    expect(lenient).toMatchObject({
      status: 'succeeded',
      label: 'abnormal',
      site: 'lenient',
      calibrationId: ids.lenient,
      threshold: 0.1,
      modelVersion: '1.0.0',
    });
    expect(plain).toMatchObject({ status: 'succeeded', label: 'abnormal', threshold: 0.5 });
    expect(plain).toMatchObject({ site: undefined, calibrationId: undefined });
    const stored = completed.get((strict as { predictionId: string }).predictionId)!;
    expect(stored.decision).toMatchObject({ site: 'strict', calibrationId: ids.strict, threshold: 0.9 });
    expect(model.manifest.decision).toEqual(MODEL);
  });

  it('fails a job naming a site that does not exist with SITE_NOT_FOUND, without retries', async () => {
    const { subject } = processor({});
    expect(await subject.process(job('gone'), attempt)).toMatchObject({
      status: 'failed',
      error: { code: 'SITE_NOT_FOUND' },
    });
  });
});
