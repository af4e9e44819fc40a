import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  renderModelCard,
  trainingLengthOf,
  type CardTrainingReport,
  type LeaveOneSubsetOutResult,
} from './model-card';
import { readModelManifest } from '@heartbeat/model';

// Version 1.2.0's manifest, training report and LOSO folds (a real version without a heart-cycle
// model; no longer shipped in models/, so its files are kept as a fixture).
const MODEL_DIR = path.resolve(__dirname, '../../test/fixtures/model-1.2.0');
const manifest = readModelManifest(MODEL_DIR);
const training = JSON.parse(readFileSync(path.join(MODEL_DIR, 'metrics.json'), 'utf8')) as CardTrainingReport;
// The folds' figures without how they trained: each test states that itself.
const folds = (
  JSON.parse(
    readFileSync(path.join(MODEL_DIR, 'leave-one-subset-out.json'), 'utf8'),
  ) as LeaveOneSubsetOutResult[]
).map(({ trainingLength: _length, stopped: _stopped, ...figures }) => figures);
const trainCommand = String(manifest.training?.command);

function card(leaveOneSubsetOut: LeaveOneSubsetOutResult[]): string {
  return renderModelCard({ manifest, training, leaveOneSubsetOut, trainCommand });
}

describe('model card: how long the leave-one-subset-out folds trained', () => {
  it("reads the shipped model's length from its manifest", () => {
    expect(trainingLengthOf(manifest)).toEqual({ epochs: 30, windowsPerEpoch: 2048 });
  });

  it('says folds collected without a recorded length ran the short default, with the command that reproduces them', () => {
    const text = card(folds);
    expect(text).toContain(
      'Each fold trains for less time than the shipped model (10 epochs of 1,024 windows,',
    );
    expect(text).toContain(
      '`HEARTBEAT_TRAIN_ARGS="--input compact" bash scripts/model/leave-one-subset-out.sh <modelDir>`',
    );
  });

  it('says so when every fold trained as long as the shipped model, and gives the length options in the command', () => {
    const text = card(
      folds.map((fold) => ({ ...fold, trainingLength: { epochs: 30, windowsPerEpoch: 2048 } })),
    );
    expect(text).toContain(
      "Each fold trains with the shipped model's settings (up to 30 epochs of 2,048 windows and the same early stopping,",
    );
    expect(text).toContain(
      '`HEARTBEAT_TRAIN_ARGS="--input compact --epochs 30 --windows-per-epoch 2048 --max-minutes 40" bash scripts/model/leave-one-subset-out.sh <modelDir>`',
    );
  });

  it('names the folds that early stopping ended before the last epoch', () => {
    const text = card(
      folds.map((fold) => ({
        ...fold,
        trainingLength: { epochs: 30, windowsPerEpoch: 2048 },
        stopped:
          fold.subset === 'training-a'
            ? { bestEpoch: 10, lastEpoch: 18, because: 'patience' }
            : { bestEpoch: 30, lastEpoch: 30, because: 'epochs' },
      })),
    );
    expect(text).toContain('early stopping; training-a stopped at epoch 18 (best 10, patience),');
  });

  it('does not claim one length when the folds differ', () => {
    const mixed = folds.map((fold, index) => ({
      ...fold,
      trainingLength: { epochs: index === 0 ? 10 : 30, windowsPerEpoch: 2048 },
    }));
    expect(card(mixed)).toContain('lengths differ between folds, see leave-one-subset-out.json');
  });
});

describe('model card: the heart-cycle model', () => {
  const withCycleModel = {
    ...manifest,
    decision: { ...manifest.decision, cycleModelWeight: 0.5 },
    artifacts: { ...manifest.artifacts, cycleModel: 'cycle-model.json' },
  };

  it("names its spectrogram's window, and says when the network's frames come from it", () => {
    const render = (window: number) =>
      renderModelCard({
        manifest: withCycleModel,
        training,
        trainCommand,
        cycleModelSpectrogramWindow: window,
      });
    expect(render(128)).toContain(
      "(a frame every 20 ms, a 64-ms window: every frame the network's windows need, so it is computed once)",
    );
    expect(render(80)).toContain('(a frame every 20 ms, a 40-ms window)');
    expect(render(128)).toContain('plus 0.5 x the heart-cycle model');
  });

  it('says nothing of one in a version without it', () => {
    expect(card(folds)).not.toContain('Heart-cycle model');
  });
});

describe('model card: normalisation over the heart sounds', () => {
  const overSounds = {
    ...manifest,
    input: { ...manifest.input, normalisation: 'per-window-heart-sound-band-mean-and-std' as const },
  };

  it('says so, and gives the option in the leave-one-subset-out command', () => {
    const text = renderModelCard({
      manifest: overSounds,
      training,
      leaveOneSubsetOut: folds,
      trainCommand: `${trainCommand} --normalisation heart-sounds --cycle-model-weight 0.5`,
    });
    expect(text).toContain('the mean over its S1 and S2 frames removed');
    expect(text).toContain(
      'HEARTBEAT_TRAIN_ARGS="--input compact --normalisation heart-sounds --cycle-model-weight 0.5"',
    );
    expect(card(folds)).not.toContain('S1 and S2 frames');
  });
});

describe('model card: site operating points', () => {
  const range = (mean: number, min: number, max: number) => ({ mean, min, max });
  const figures = (se: number, sp: number) => ({
    sensitivity: range(se, se - 0.1, se + 0.05),
    specificity: range(sp, sp - 0.1, sp + 0.1),
    macc: range((se + sp) / 2, 0.5, 0.7),
  });
  const fold = {
    subset: 'training-b',
    records: 416,
    normal: 315,
    abnormal: 101,
    heldOutAuc: 0.64,
    baseSensitivity: 0.9,
    labelled: { normal: 15, abnormal: 15 },
    judgedOn: 386,
    seeds: 10,
    fitted: 7,
    refusals: { SITE_RANKING_TOO_WEAK: 3 },
    uncalibratedAllSeeds: figures(0.86, 0.09),
    uncalibratedFittedSeeds: figures(0.85, 0.1),
    calibrated: figures(0.88, 0.3),
    trials: [],
  };

  it('tabulates each fold: what was labelled, how many fits were refused and why, own threshold beside the site operating point', () => {
    const text = renderModelCard({
      manifest,
      training,
      trainCommand,
      siteOperatingPoints: {
        method: '15 of each class',
        foldNetworks: ['tmp/folds/training-b'],
        folds: [fold],
      },
    });
    expect(text).toContain(
      '| training-b | 416 (315 normal) | 0.640 | 15 + 15 | 7/10 (refused: 3 SITE_RANKING_TOO_WEAK) | 0.850 / 0.100 / 0.475 | 0.880 (0.780-0.930) / 0.300 (0.200-0.400) / 0.590 (0.500-0.700) |',
    );
    expect(text).toContain('bash scripts/model/site-operating-points.sh <modelDir>` reproduces the tables');
  });

  it('says when it was not measured', () => {
    expect(renderModelCard({ manifest, training, trainCommand })).toMatch(
      /## Site operating points[^\n]*\nNot measured for this version\./,
    );
  });
});
