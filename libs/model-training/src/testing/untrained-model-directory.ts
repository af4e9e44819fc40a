// Test support: a complete, loadable model version directory with an untrained network, for tests
// of the registry and the serving path that need real artifacts but not a good model. Exported from
// `@heartbeat/model-training/testing`, never from the main entry.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CYCLE_MODEL_FILE,
  CYCLE_MODEL_KIND,
  CYCLE_MODEL_SPECTROGRAM_WINDOW,
  describeModelInput,
  type ModelManifest,
  ONNX_MODEL_FILE,
  TFJS_MODEL_FILE,
  writeCycleModel,
  writeModelManifest,
} from '@heartbeat/model';
import { saveTfjsModel } from '../tfjs-runtime/tfjs-model-files';
import { initTfBackend } from '../network/backend';
import { buildHeartSoundCnn } from '../network/cnn';
import { exportToOnnx } from '../network/onnx-export';
import { HEART_CYCLE_FEATURE_NAMES } from '@heartbeat/audio';
import { MODEL_CARD_FILE } from '../model-card/model-directory';

export interface UntrainedModelOptions {
  /** Seed of the weight initialisation; different seeds give different logits. */
  seed?: number;
  /** Decision threshold on the calibrated probability (default 0.5). */
  threshold?: number;
  datasetFingerprint?: string;
  /** Network width; the default is small so the directory is built in about a second. */
  blockFilters?: number[];
  /** Adds a heart-cycle model that gives every recording this logit, with this weight in the score. */
  cycleModel?: { logit: number; weight: number };
}

/**
 * Writes `dir` as model version `version`: manifest, model.json + weights.bin, model.onnx,
 * metrics.json and a short model card. Returns `dir`.
 */
export async function createUntrainedModelDirectory(
  dir: string,
  version: string,
  options: UntrainedModelOptions = {},
): Promise<string> {
  const fingerprint = options.datasetFingerprint ?? `untrained-${version}`;
  await initTfBackend('auto');
  const model = buildHeartSoundCnn({
    seed: options.seed ?? 7,
    blockFilters: options.blockFilters ?? [4, 4, 8, 8, 8],
  });
  try {
    await mkdir(dir, { recursive: true });
    await saveTfjsModel(model, dir);
    await writeFile(join(dir, ONNX_MODEL_FILE), exportToOnnx(model));
  } finally {
    model.dispose();
  }
  const metrics = {
    version,
    note: 'untrained network for tests',
    validation: { overall: { macc: 0.5, sensitivity: 0.5, specificity: 0.5, auc: 0.5 } },
    datasetFingerprint: fingerprint,
  };
  await writeFile(join(dir, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  await writeFile(
    join(dir, MODEL_CARD_FILE),
    `# Model card: untrained test model ${version}\n\nNot for screening.\n`,
  );
  const manifest: ModelManifest = {
    schemaVersion: 1,
    name: 'heartbeat-pcg-cnn-untrained',
    version,
    createdAt: new Date().toISOString(),
    input: describeModelInput(),
    decision: {
      calibration: { slope: 1, intercept: 0 },
      threshold: options.threshold ?? 0.5,
      minimumQuality: 0,
    },
    artifacts: {
      tfjs: TFJS_MODEL_FILE,
      onnx: ONNX_MODEL_FILE,
      card: MODEL_CARD_FILE,
      metrics: 'metrics.json',
    },
    training: { datasetFingerprint: fingerprint },
  };
  if (options.cycleModel) {
    const featureCount = HEART_CYCLE_FEATURE_NAMES.length;
    writeCycleModel(join(dir, CYCLE_MODEL_FILE), {
      kind: CYCLE_MODEL_KIND,
      spectrogramWindowLength: CYCLE_MODEL_SPECTROGRAM_WINDOW,
      featureNames: [...HEART_CYCLE_FEATURE_NAMES],
      medians: new Array<number>(featureCount).fill(0),
      trees: { featureCount, baseline: options.cycleModel.logit, trees: [[{ value: 0 }]] },
    });
    manifest.artifacts.cycleModel = CYCLE_MODEL_FILE;
    manifest.decision.cycleModelWeight = options.cycleModel.weight;
  }
  writeModelManifest(dir, manifest);
  return dir;
}
