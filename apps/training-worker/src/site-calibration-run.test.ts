import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewSiteCalibration, SiteCalibration, TrainingRun } from '@heartbeat/db';
import {
  describeModelInput,
  writeModelManifest,
  type LabelledRecording,
  type ScoredRecord,
} from '@heartbeat/model';
import { silentLogger } from '@heartbeat/telemetry';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TrainingRunService, type TrainingRunDependencies } from './training-run.service';

let workDir: string;
let modelDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'site-calibration-run-'));
  modelDir = join(workDir, 'model-1.0.0');
  await mkdir(modelDir, { recursive: true });
  writeModelManifest(modelDir, {
    schemaVersion: 1,
    name: 'fake',
    version: '1.0.0',
    createdAt: new Date(0).toISOString(),
    input: describeModelInput(),
    decision: { calibration: { slope: 1, intercept: 0 }, threshold: 0.5, minimumQuality: 0.1 },
    artifacts: { tfjs: 'model.json', metrics: 'metrics.json' },
  });
  await writeFile(
    join(modelDir, 'metrics.json'),
    JSON.stringify({ validation: { overall: { sensitivity: 0.9 } } }),
  );
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

const run = (): TrainingRun => ({
  id: randomUUID(),
  kind: 'calibration',
  status: 'queued',
  progress: 0,
  params: {},
  metrics: null,
  log: '',
  error: null,
  site: 'north',
  checkpointKey: null,
  requestedBy: null,
  createdAt: new Date(),
  startedAt: null,
  finishedAt: null,
});

/** `normal` normal and `abnormal` abnormal records; abnormal ones score `gap` logits higher, all far above the model's threshold. */
function siteRecords(
  normal: number,
  abnormal: number,
  gap: number,
): { records: LabelledRecording[]; scores: ScoredRecord[] } {
  const records: LabelledRecording[] = [];
  const scores: ScoredRecord[] = [];
  for (let i = 0; i < normal + abnormal; i++) {
    const label = i < normal ? 'normal' : 'abnormal';
    const id = `r${i}`;
    records.push({ id, path: `/nowhere/${id}.wav`, label, subset: 'upload-north' });
    scores.push({ id, label, score: 3 + ((i * 37) % 10) / 10 + (label === 'abnormal' ? gap : 0) });
  }
  return { records, scores };
}

function service(data: { records: LabelledRecording[]; scores: ScoredRecord[] }, trainingRun: TrainingRun) {
  const recorded: SiteCalibration[] = [];
  const finished: { status: string; options: { error?: string; metrics?: Record<string, unknown> } }[] = [];
  const announced: string[] = [];
  const deps = {
    runs: {
      findById: vi.fn(async () => trainingRun),
      listRunning: vi.fn(async () => []),
      markRunning: vi.fn(async () => undefined),
      reportProgress: vi.fn(async () => undefined),
      finish: vi.fn(
        async (_id: string, status: string, options = {}) => void finished.push({ status, options }),
      ),
      setCheckpoint: vi.fn(async () => undefined),
    },
    data: { assemble: vi.fn(), siteSamples: vi.fn(async () => data.records) },
    trainer: { train: vi.fn() },
    evaluator: { evaluate: vi.fn(), scoreRecords: vi.fn(async () => data.scores) },
    registry: {
      findPromoted: vi.fn(async () => ({ version: '1.0.0' })),
      list: vi.fn(async () => []),
      materialise: vi.fn(async () => modelDir),
      registerModelDirectory: vi.fn(),
      promote: vi.fn(),
      withdraw: vi.fn(),
    },
    sites: {
      findByName: vi.fn(async (name: string) =>
        name === 'north'
          ? {
              id: 'site-north',
              name,
              device: null,
              owner: null,
              createdAt: new Date(),
              updatedAt: new Date(),
            }
          : undefined,
      ),
      recordCalibration: vi.fn(async (row: NewSiteCalibration) => {
        const stored = { ...row, id: randomUUID(), createdAt: new Date() } as SiteCalibration;
        recorded.push(stored);
        return stored;
      }),
      announce: vi.fn(async (site: string) => void announced.push(site)),
    },
    checkpoints: { save: vi.fn(), load: vi.fn() },
    control: {
      isCancelRequested: vi.fn(async () => false),
      clearCancel: vi.fn(async () => undefined),
      holdLease: vi.fn(async () => async () => undefined),
      isLeased: vi.fn(async () => false),
      requeue: vi.fn(),
    },
    settings: {
      workDir,
      modelCacheDir: workDir,
      evaluationFraction: 0.2,
      promotionMinMaccGain: 0.01,
      promotionMaxSensitivityDrop: 0.05,
    },
    logger: silentLogger(),
  } as unknown as TrainingRunDependencies;
  return { subject: new TrainingRunService(deps), deps, recorded, finished, announced };
}

const job = (trainingRun: TrainingRun) => ({
  schemaVersion: 1 as const,
  runId: trainingRun.id,
  kind: 'calibration' as const,
  params: { site: 'north' },
});

describe('TrainingRunService site calibration', () => {
  it('fits the site on all its records, stores an active calibration (no model version) and announces it', async () => {
    const trainingRun = run();
    const { subject, deps, recorded, finished, announced } = service(siteRecords(15, 15, 1.5), trainingRun);
    const result = await subject.process(job(trainingRun));
    expect(result).toMatchObject({ status: 'succeeded', modelVersion: undefined });
    expect(recorded).toHaveLength(1);
    const [calibration] = recorded;
    expect(calibration).toMatchObject({
      siteId: 'site-north',
      status: 'active',
      baseModelVersion: '1.0.0',
      normalRecords: 15,
      abnormalRecords: 15,
      trainingRunId: trainingRun.id,
    });
    expect(calibration!.slope).toBeGreaterThan(0);
    // Target 0.85 with 15 abnormal records: 15 * 0.85 + sqrt(15 * 0.85 * 0.15) = 14.1, so all 15 are kept.
    expect(calibration!.metrics).toMatchObject({
      records: 30,
      requiredDetected: 15,
      sensitivity: 1,
      baseSensitivity: 0.9,
      targetSensitivity: expect.closeTo(0.85, 6),
      modelSensitivity: 1,
      modelSpecificity: 0,
      uploaded: 30,
    });
    expect(calibration!.metrics.specificity).toBeGreaterThan(0.5);
    expect(announced).toEqual(['north']);
    expect(finished).toMatchObject([
      { status: 'succeeded', options: { metrics: { site: 'north', calibrationId: calibration!.id } } },
    ]);
    expect(deps.registry.registerModelDirectory).not.toHaveBeenCalled();
    expect(deps.registry.promote).not.toHaveBeenCalled();
  });

  it('refuses a ranking the model inverts at the site: the run fails with the code and the refusal is stored', async () => {
    const trainingRun = run();
    const { subject, recorded, finished, announced } = service(siteRecords(15, 15, -1.5), trainingRun);
    const result = await subject.process(job(trainingRun));
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/^SITE_RANKING_INVERTED: /);
    expect(recorded).toMatchObject([
      { status: 'refused', refusalCode: 'SITE_RANKING_INVERTED', normalRecords: 15, abnormalRecords: 15 },
    ]);
    expect(finished).toMatchObject([
      {
        status: 'failed',
        options: { metrics: { stage: 'refused', refusal: { code: 'SITE_RANKING_INVERTED' } } },
      },
    ]);
    expect(announced).toEqual([]);
  });

  it('refuses a one-class site before scoring anything', async () => {
    const trainingRun = run();
    const { subject, deps, recorded } = service(siteRecords(24, 0, 0), trainingRun);
    const result = await subject.process(job(trainingRun));
    expect(result.error).toMatch(/^SITE_RECORDS_ONE_CLASS: /);
    expect(recorded).toMatchObject([{ status: 'refused', refusalCode: 'SITE_RECORDS_ONE_CLASS' }]);
    expect(deps.evaluator.scoreRecords).not.toHaveBeenCalled();
  });
});
