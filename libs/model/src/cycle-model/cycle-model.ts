// The heart-cycle model: gradient-boosted trees over the recording's heart-cycle features (energy
// between the heart sounds relative to the sounds, per band; rhythm; @heartbeat/audio). Its logit is
// added to the network's mean window logit before calibration. The network hears windows wherever
// they fall; this model knows where systole and diastole are, which is where murmurs live, and
// measures within-recording ratios that a stethoscope's colouring largely cancels out of.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ALIGNED_CYCLE_FEATURE_NAMES,
  alignedHeartCycleFeatures,
  HEART_CYCLE_FEATURE_NAMES,
  HEART_SOUND_WINDOW_LENGTHS,
  heartCycleFeatures,
  heartSoundSpectrogram,
  median,
  segmentHeartSounds,
  type HeartSoundSegment,
  type HeartSoundSpectrogram,
  type HeartSoundWindowLength,
} from '@heartbeat/audio';
import { isJsonObject, JsonIssues } from '../model-version/json-checks';
import { ModelDirectoryError, type ModelManifest } from '../model-version/model-manifest';
import {
  DEFAULT_GRADIENT_BOOSTING,
  fitGradientBoosting,
  predictLogit,
  type GradientBoostedTrees,
  type GradientBoostingOptions,
  type TreeNode,
} from './gradient-boosting';

export const CYCLE_MODEL_KIND = 'heart-cycle-gradient-boosting';

/**
 * Weight of the heart-cycle logit in a new version's score: the largest of 0.25, 0.5 and 1 at which
 * neither the pooled AUC nor the pooled MAcc of the shipped network's own validation split falls
 * below the network's alone. With the 64-ms spectrogram that is 0.5; on the TypeScript
 * leave-one-subset-out folds every step up the grid raised the mean and the worst held-out database's
 * AUC (research/MODEL_RESEARCH.md, fifth and sixth sessions).
 */
export const DEFAULT_CYCLE_MODEL_WEIGHT = 0.5;

/** The heart-cycle model's file in a version directory (manifest artifacts.cycleModel). */
export const CYCLE_MODEL_FILE = 'cycle-model.json';

/**
 * The heart-sound spectrogram window new heart-cycle models are fitted with: 64 ms, the compact CNN
 * input's, so a screener computes each frame once for both (model 1.3.0's used 40 ms).
 */
export const CYCLE_MODEL_SPECTROGRAM_WINDOW: HeartSoundWindowLength = 128;

/**
 * Which heart-cycle features a model reads: 'cycle' the 17 of HEART_CYCLE_FEATURE_NAMES (models up to
 * 1.6.0); 'cycle+aligned' those and ALIGNED_CYCLE_FEATURE_NAMES, systole and diastole in thirds of
 * every beat, per band (research/MODEL_RESEARCH.md, thirteenth session).
 */
export const CYCLE_FEATURE_SETS = ['cycle', 'cycle+aligned'] as const;
export type CycleFeatureSet = (typeof CYCLE_FEATURE_SETS)[number];

export function cycleFeatureNames(featureSet: CycleFeatureSet): string[] {
  return featureSet === 'cycle'
    ? [...HEART_CYCLE_FEATURE_NAMES]
    : [...HEART_CYCLE_FEATURE_NAMES, ...ALIGNED_CYCLE_FEATURE_NAMES];
}

export interface CycleModel {
  kind: typeof CYCLE_MODEL_KIND;
  /** Analysis window (samples at 2 kHz) of the heart-sound spectrogram its features are measured on. */
  spectrogramWindowLength: HeartSoundWindowLength;
  /** Absent in files written before there was a choice: 'cycle'. */
  featureSet?: CycleFeatureSet;
  featureNames: string[];
  /** Training medians, used for a feature a recording does not yield (too few clean cycles). */
  medians: number[];
  trees: GradientBoostedTrees;
}

/**
 * The heart-cycle features of a conditioned 2 kHz recording, or null when it has fewer than two usable
 * cycles, measured on a heart-sound spectrogram with the given window (or on `spectrogram` when the
 * caller has one with that window already).
 */
export function cycleFeaturesOf(
  signal: Float32Array,
  windowLength: HeartSoundWindowLength,
  spectrogram?: HeartSoundSpectrogram,
  /** segmentHeartSounds of the signal on that spectrogram, when the caller has it already. */
  segments?: readonly HeartSoundSegment[],
  featureSet: CycleFeatureSet = 'cycle',
): Float64Array | null {
  const usable =
    spectrogram?.config.winLength === windowLength
      ? spectrogram
      : heartSoundSpectrogram(signal, windowLength);
  const sounds = (usable === spectrogram ? segments : undefined) ?? segmentHeartSounds(signal, usable);
  const cycle = heartCycleFeatures(signal, usable, sounds);
  if (featureSet === 'cycle') return cycle;
  const aligned = alignedHeartCycleFeatures(usable, sounds);
  if (!cycle && !aligned) return null;
  // A part the recording does not yield is imputed from the training medians (cycleModelLogit).
  return Float64Array.from([
    ...(cycle ?? new Array<number>(HEART_CYCLE_FEATURE_NAMES.length).fill(NaN)),
    ...(aligned ?? new Array<number>(ALIGNED_CYCLE_FEATURE_NAMES.length).fill(NaN)),
  ]);
}

/**
 * Fits the model on recordings' features (null = none found) with their labels, each class
 * weighted to half of the total so the model does not learn the training set's prevalence.
 */
export function fitCycleModel(
  features: readonly (Float64Array | null)[],
  labels: readonly number[],
  spectrogramWindowLength: HeartSoundWindowLength,
  options: GradientBoostingOptions = DEFAULT_GRADIENT_BOOSTING,
  featureSet: CycleFeatureSet = 'cycle',
): CycleModel {
  const present = features.filter((row): row is Float64Array => row !== null);
  if (present.length === 0)
    throw new RangeError('no recording yielded heart-cycle features; the cycle model cannot be fitted');
  const featureNames = cycleFeatureNames(featureSet);
  // The aligned part of a row may be missing (NaN) while the rest is there.
  const medians = featureNames.map((_, k) =>
    median(present.map((row) => row[k]).filter((value) => featureSet === 'cycle' || Number.isFinite(value))),
  );
  const positives = labels.filter((y) => y === 1).length;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0)
    throw new RangeError('the cycle model needs normal and abnormal recordings');
  const weights = labels.map((y) => labels.length / (2 * (y === 1 ? positives : negatives)));
  const rows = features.map((row) => imputed(row, medians));
  return {
    kind: CYCLE_MODEL_KIND,
    spectrogramWindowLength,
    ...(featureSet === 'cycle' ? {} : { featureSet }),
    featureNames,
    medians,
    trees: fitGradientBoosting(rows, [...labels], weights, options),
  };
}

export function cycleModelLogit(model: CycleModel, features: Float64Array | null): number {
  return predictLogit(model.trees, imputed(features, model.medians));
}

function imputed(row: Float64Array | null, medians: readonly number[]): Float64Array {
  return row === null
    ? Float64Array.from(medians)
    : row.map((value, k) => (Number.isFinite(value) ? value : medians[k]));
}

// Checked without zod (json-checks.ts); the tree nodes (tens of thousands) by isTreeNode: a zod union
// per node cost ~150 ms of CPU on the first read, a tenth of `heartbeat classify one.flac`.
const isIndex = (value: unknown): boolean => Number.isInteger(value) && (value as number) >= 0;

/** A split {feature, threshold, left, right} (non-negative integer indices) or a leaf {value}. */
function isTreeNode(node: unknown): node is TreeNode {
  if (typeof node !== 'object' || node === null) return false;
  const n = node as Record<string, unknown>;
  if ('feature' in n)
    return isIndex(n.feature) && typeof n.threshold === 'number' && isIndex(n.left) && isIndex(n.right);
  return typeof n.value === 'number';
}

/** Checks a parsed heart-cycle model file's shape ("path: problem" each); the caller checks its meaning. */
function cycleModelShapeIssues(raw: unknown): string[] {
  const issues = new JsonIssues();
  if (!isJsonObject(raw)) return ['(root): expected an object'];
  issues.oneOf(raw.kind, [CYCLE_MODEL_KIND], 'kind');
  issues.oneOf(raw.spectrogramWindowLength, HEART_SOUND_WINDOW_LENGTHS, 'spectrogramWindowLength', {
    optional: true,
  });
  issues.oneOf(raw.featureSet, CYCLE_FEATURE_SETS, 'featureSet', { optional: true });
  issues.stringArray(raw.featureNames, 'featureNames');
  issues.numberArray(raw.medians, 'medians');
  const trees = issues.object(raw, 'trees');
  issues.number(trees.featureCount, 'trees.featureCount', { integer: true, positive: true });
  issues.number(trees.baseline, 'trees.baseline');
  if (issues.expect(Array.isArray(trees.trees), 'trees.trees', 'expected an array of trees'))
    (trees.trees as unknown[]).forEach((tree, t) =>
      issues.expect(
        Array.isArray(tree) && tree.length > 0,
        `trees.trees.${t}`,
        'expected a non-empty array of nodes',
      ),
    );
  return issues.list;
}

export function writeCycleModel(file: string, model: CycleModel): void {
  writeFileSync(file, JSON.stringify(model) + '\n');
}

/** Reads and checks a cycle model file: it must describe the features this version of HeartBeat computes. */
export function readCycleModel(file: string): CycleModel {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ModelDirectoryError(
      `${file} cannot be read as a heart-cycle model: ${(error as Error).message}`,
    );
  }
  const issues = cycleModelShapeIssues(raw);
  if (issues.length > 0)
    throw new ModelDirectoryError(`${file} is not a valid heart-cycle model: ${issues.join('; ')}`);
  // Absent in files written before the window was a choice (model 1.3.0): 40 ms.
  const model = raw as CycleModel;
  model.spectrogramWindowLength ??= 80;
  model.trees.trees.forEach((tree, t) =>
    tree.forEach((node, i) => {
      if (!isTreeNode(node))
        throw new ModelDirectoryError(
          `${file} is not a valid heart-cycle model: trees.trees.${t}.${i} is neither a split {feature, threshold, left, right} nor a leaf {value}.`,
        );
    }),
  );
  const names = cycleFeatureNames(model.featureSet ?? 'cycle');
  const expected = names.join(', ');
  if (
    model.featureNames.join(', ') !== expected ||
    model.medians.length !== names.length ||
    model.trees.featureCount !== names.length
  )
    throw new ModelDirectoryError(
      `${file} was fitted on other heart-cycle features (${model.featureNames.join(', ')}) than this version of HeartBeat computes (${expected}).`,
    );
  for (const tree of model.trees.trees)
    for (const node of tree)
      if (
        'feature' in node &&
        (node.feature >= model.trees.featureCount || node.left >= tree.length || node.right >= tree.length)
      )
        throw new ModelDirectoryError(
          `${file} is not a valid heart-cycle model: a tree refers to a feature or node that does not exist.`,
        );
  return model;
}

/** A model version's heart-cycle model and its weight, or undefined when the version has none. */
export function loadCycleModelOf(modelDir: string, manifest: ModelManifest): WeightedCycleModel | undefined {
  const file = manifest.artifacts.cycleModel;
  const weight = manifest.decision.cycleModelWeight;
  if (file === undefined || weight === undefined) return undefined;
  return { model: readCycleModel(join(modelDir, file)), weight };
}

export interface WeightedCycleModel {
  model: CycleModel;
  /** Its logit's weight in the recording's score (manifest decision.cycleModelWeight). */
  weight: number;
}
