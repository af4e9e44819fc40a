import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderModelCard, type CardTrainingReport } from './model-card';
import { readModelManifest } from '@heartbeat/model';

// The shipped 1.6.0 directory as a read-only fixture: a version with a heart-cycle model.
const MODEL_DIR = path.resolve(__dirname, '../../../../models/1.6.0');
const manifest = readModelManifest(MODEL_DIR);
const training = JSON.parse(readFileSync(path.join(MODEL_DIR, 'metrics.json'), 'utf8')) as CardTrainingReport;
const trainCommand = String(manifest.training?.command);

describe('model card: heart-cycle model, segmentation and short clips', () => {
  it('says when the heart-cycle model also reads the beats in thirds, and only then', () => {
    const aligned = renderModelCard({
      manifest,
      training,
      trainCommand,
      cycleModelFeatureSet: 'cycle+aligned',
    });
    expect(aligned).toMatch(/and 24 that line the beats up/);
    expect(renderModelCard({ manifest, training, trainCommand })).not.toMatch(/line the beats up/);
  });

  it('gives the refit command of a version whose heart-cycle model was fitted again on an earlier network', () => {
    const refitted = {
      ...manifest,
      training: {
        ...manifest.training,
        cycleModelRefittedFrom: '1.6.0',
        cycleModelRefitCommand: 'refit-cycle-model.ts models/1.6.0 models/1.7.0 1.7.0',
      },
    };
    const text = renderModelCard({ manifest: refitted, training, trainCommand });
    expect(text).toMatch(
      /The network is version 1\.6\.0's[^`]*```\nrefit-cycle-model\.ts models\/1\.6\.0 models\/1\.7\.0 1\.7\.0\n```/,
    );
  });

  it('tabulates the segmentation and short clips when measured, and says when they were not', () => {
    const text = renderModelCard({
      manifest,
      training,
      trainCommand,
      segmentation: {
        command: 'seg',
        rows: [
          {
            set: 'training-a',
            records: 347,
            precision: 0.953,
            recall: 0.955,
            f1: 0.954,
            s1F1: 0.969,
            s2F1: 0.939,
            noisyOnsetsPerSecond: 2.48,
          },
        ],
      },
      shortClips: {
        command: 'clips',
        rows: [{ seconds: 2, auc: 0.912, macc: 0.839, sensitivity: 0.843, specificity: 0.835 }],
      },
    });
    expect(text).toContain('| training-a | 347 | 0.953 | 0.955 | 0.954 | 0.969 | 0.939 | 2.48 |');
    expect(text).toContain('| 2 | 0.912 | 0.839 | 0.843 | 0.835 |');
    const plain = renderModelCard({ manifest, training, trainCommand });
    expect(plain).toMatch(/## Heart-sound segmentation\nNot measured for this version\./);
    expect(plain).toMatch(/## Short clips\nNot measured for this version\./);
  });
});
