import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  renderModelCard,
  trainingLengthOf,
  type CardTrainingReport,
  type LeaveOneSubsetOutResult,
} from './model-card';
import { readModelManifest } from './model-manifest';

// The shipped 1.2.0 directory as a read-only fixture: a real manifest, training report and LOSO folds.
const MODEL_DIR = path.resolve(__dirname, '../../../../models/1.2.0');
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
      renderModelCard({ manifest: withCycleModel, training, trainCommand, cycleModelSpectrogramWindow: window });
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
  const overSounds = { ...manifest, input: { ...manifest.input, normalisation: 'per-window-heart-sound-band-mean-and-std' as const } };

  it('says so, and gives the option in the leave-one-subset-out command', () => {
    const text = renderModelCard({
      manifest: overSounds,
      training,
      leaveOneSubsetOut: folds,
      trainCommand: `${trainCommand} --normalisation heart-sounds --cycle-model-weight 0.5`,
    });
    expect(text).toContain('the mean over its S1 and S2 frames removed');
    expect(text).toContain('HEARTBEAT_TRAIN_ARGS="--input compact --normalisation heart-sounds --cycle-model-weight 0.5"');
    expect(card(folds)).not.toContain('S1 and S2 frames');
  });
});
