// The one training pipeline on the ten real recordings in samples/, with a tiny network: the split
// policy lands in the manifest and recomputes the split the version was trained with, checkpoints
// come after every epoch and resume, and an abort stops the run before anything is written.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverLabelledRecordings, readModelManifest } from '@heartbeat/model';
import { type SplitPolicy } from '../data/split';
import type { TrainingCheckpoint } from './checkpoint';
import { trainModelVersion, validationRecordsOf, type TrainModelVersionOptions } from './train-model-version';

const recordings = discoverLabelledRecordings(resolve(__dirname, '../../../../samples'));
const work = mkdtempSync(join(tmpdir(), 'heartbeat-train-version-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const policy: SplitPolicy = { kind: 'record-hash', evaluationFraction: 0.2, validationFraction: 0.2 };
const quick = (outDir: string): TrainModelVersionOptions => ({
  recordings,
  split: policy,
  outDir: join(work, outDir),
  version: '0.0.1',
  cacheDir: join(work, 'cache'),
  blockFilters: [2],
  params: { epochs: 2, windowsPerEpoch: 8, batchSize: 4, patience: 5, seed: 3 },
});
const ids = (set: { subset: string; id: string }[]) => set.map((r) => `${r.subset}/${r.id}`).sort();

describe('trainModelVersion', () => {
  const checkpoints: TrainingCheckpoint[] = [];
  let first: Awaited<ReturnType<typeof trainModelVersion>>;

  it('records the split policy in the manifest, so the validation records are recomputed from it', async () => {
    first = await trainModelVersion({ ...quick('first'), onCheckpoint: (c) => checkpoints.push(c) });
    expect(recordings).toHaveLength(10);
    expect(first.split.evaluation.length).toBeGreaterThan(0);
    const trainingIds = new Set(ids(first.split.training));
    for (const held of [...first.split.validation, ...first.split.evaluation])
      expect(trainingIds.has(`${held.subset}/${held.id}`)).toBe(false);

    const manifest = readModelManifest(join(work, 'first'));
    expect(manifest.training?.split).toEqual(policy);
    expect(ids(validationRecordsOf(manifest, recordings))).toEqual(ids(first.split.validation));
    expect(first.report.counts).toMatchObject({
      training: first.split.training.length,
      validation: first.split.validation.length,
      heldOut: 0,
    });
    expect(existsSync(join(work, 'first', 'validation-scores.json'))).toBe(true);
  });

  it('hands out a checkpoint after every epoch, and a run resumed from one carries on after it', async () => {
    expect(checkpoints.map((c) => [c.epoch, c.epochs])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    const resumed = await trainModelVersion({ ...quick('resumed'), resumeFrom: checkpoints[0] });
    expect(resumed.resumedFromEpoch).toBe(1);
    expect(resumed.report.history.map((h) => h.epoch)).toEqual([1, 2]);
    expect(readModelManifest(join(work, 'resumed')).training?.resumedFromEpoch).toBe(1);
  });

  it('stops between batches when its signal is aborted, writing no version', async () => {
    const stop = new AbortController();
    await expect(
      trainModelVersion({
        ...quick('stopped'),
        signal: stop.signal,
        onProgress: () => stop.abort(new Error('stop requested')),
      }),
    ).rejects.toThrow('stop requested');
    expect(existsSync(join(work, 'stopped', 'heartbeat-model.json'))).toBe(false);
  });
});
