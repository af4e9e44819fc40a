// The heart-cycle model: gradient-boosted trees over the recording's heart-cycle features (energy
// between the heart sounds relative to the sounds, per band; rhythm; @heartbeat/audio). Its logit is
// added to the network's mean window logit before calibration. The network hears windows wherever
// they fall; this model knows where systole and diastole are, which is where murmurs live, and
// measures within-recording ratios that a stethoscope's colouring largely cancels out of.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  HEART_CYCLE_FEATURE_NAMES,
  HEART_SOUND_WINDOW_LENGTHS,
  heartCycleFeatures,
  heartSoundSpectrogram,
  median,
  type HeartSoundSegment,
  type HeartSoundSpectrogram,
  type HeartSoundWindowLength,
} from '@heartbeat/audio';
import { z } from 'zod';
import { ModelDirectoryError, type ModelManifest } from '../registry/model-manifest';
import {
  DEFAULT_GRADIENT_BOOSTING,
  fitGradientBoosting,
  predictLogit,
  type GradientBoostedTrees,
  type GradientBoostingOptions,
} from './gradient-boosting';

export const CYCLE_MODEL_KIND = 'heart-cycle-gradient-boosting';

/**
 * The heart-sound spectrogram window new heart-cycle models are fitted with: 64 ms, the compact CNN
 * input's, so a screener computes each frame once for both (model 1.3.0's used 40 ms).
 */
export const CYCLE_MODEL_SPECTROGRAM_WINDOW: HeartSoundWindowLength = 128;

export interface CycleModel {
  kind: typeof CYCLE_MODEL_KIND;
  /** Analysis window (samples at 2 kHz) of the heart-sound spectrogram its features are measured on. */
  spectrogramWindowLength: HeartSoundWindowLength;
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
): Float64Array | null {
  const usable = spectrogram?.config.winLength === windowLength ? spectrogram : heartSoundSpectrogram(signal, windowLength);
  return heartCycleFeatures(signal, usable, usable === spectrogram ? segments : undefined);
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
): CycleModel {
  const present = features.filter((row): row is Float64Array => row !== null);
  if (present.length === 0)
    throw new RangeError('no recording yielded heart-cycle features; the cycle model cannot be fitted');
  const medians = HEART_CYCLE_FEATURE_NAMES.map((_, k) => median(present.map((row) => row[k])));
  const positives = labels.filter((y) => y === 1).length;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0)
    throw new RangeError('the cycle model needs normal and abnormal recordings');
  const weights = labels.map((y) => labels.length / (2 * (y === 1 ? positives : negatives)));
  const rows = features.map((row) => imputed(row, medians));
  return {
    kind: CYCLE_MODEL_KIND,
    spectrogramWindowLength,
    featureNames: [...HEART_CYCLE_FEATURE_NAMES],
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

const treeNodeSchema = z.union([
  z.object({
    feature: z.number().int().nonnegative(),
    threshold: z.number(),
    left: z.number().int().nonnegative(),
    right: z.number().int().nonnegative(),
  }),
  z.object({ value: z.number() }),
]);

const cycleModelSchema = z.object({
  kind: z.literal(CYCLE_MODEL_KIND),
  // Absent in files written before the window was a choice (model 1.3.0): 40 ms.
  spectrogramWindowLength: z
    .number()
    .refine((w): w is HeartSoundWindowLength => (HEART_SOUND_WINDOW_LENGTHS as readonly number[]).includes(w), {
      message: `must be one of ${HEART_SOUND_WINDOW_LENGTHS.join(', ')}`,
    })
    .default(80),
  featureNames: z.array(z.string()),
  medians: z.array(z.number()),
  trees: z.object({
    featureCount: z.number().int().positive(),
    baseline: z.number(),
    trees: z.array(z.array(treeNodeSchema).min(1)),
  }),
});

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
  const parsed = cycleModelSchema.safeParse(raw);
  if (!parsed.success)
    throw new ModelDirectoryError(
      `${file} is not a valid heart-cycle model: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  const model = parsed.data as CycleModel;
  const expected = HEART_CYCLE_FEATURE_NAMES.join(', ');
  if (
    model.featureNames.join(', ') !== expected ||
    model.medians.length !== HEART_CYCLE_FEATURE_NAMES.length ||
    model.trees.featureCount !== HEART_CYCLE_FEATURE_NAMES.length
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
