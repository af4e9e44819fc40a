// The manifest of a model version directory: everything needed to turn window scores into the
// product's answer, and where the network's artifacts are. Validated on load, so a damaged or
// foreign directory fails with a message instead of producing wrong predictions.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_FEATURE_CONFIG, type FeatureConfig } from '@heartbeat/audio';
import { z } from 'zod';
import {
  DEFAULT_MODEL_INPUT,
  MODEL_SAMPLE_RATE,
  windowShape,
  type ModelInputSpec,
  type WindowNormalisation,
} from '../input/model-input';

export const MANIFEST_FILE = 'heartbeat-model.json';

/** How a manifest names each WindowNormalisation. */
const WINDOW_NORMALISATION_NAMES = {
  window: 'per-window-band-mean-and-std',
  'heart-sounds': 'per-window-heart-sound-band-mean-and-std',
} as const satisfies Record<WindowNormalisation, string>;

const calibrationSchema = z.object({ slope: z.number(), intercept: z.number() });

export const modelManifestSchema = z
  .object({
    schemaVersion: z.literal(1),
    name: z.string().min(1),
    version: z
      .string()
      .regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'must be a semantic version such as 1.0.0'),
    createdAt: z.string(),
    input: z.object({
      sampleRate: z.number().int().positive(),
      windowSeconds: z.number().positive(),
      hopSeconds: z.number().positive(),
      frames: z.number().int().positive(),
      melBands: z.number().int().positive(),
      featureConfig: z.record(z.string(), z.unknown()),
      normalisation: z.enum([WINDOW_NORMALISATION_NAMES.window, WINDOW_NORMALISATION_NAMES['heart-sounds']]),
    }),
    decision: z.object({
      calibration: calibrationSchema,
      threshold: z.number().min(0).max(1),
      minimumQuality: z.number().min(0).max(1),
      /** Site calibrations fitted later carry the site's name. */
      site: z.string().optional(),
      /**
       * How the threshold was chosen: maximising the mean of each validation site's MAcc (a new site
       * does not share the training sites' mix), or the MAcc of all validation records pooled.
       * Absent in manifests written before the rule was recorded (pooled).
       */
      thresholdRule: z.enum(['site-balanced-macc', 'pooled-macc']).optional(),
      /** With artifacts.cycleModel: the calibrated score is the mean window logit + this x the cycle model's logit. */
      cycleModelWeight: z.number().positive().optional(),
    }),
    artifacts: z.object({
      tfjs: z.string(),
      onnx: z.string().optional(),
      card: z.string().optional(),
      metrics: z.string().optional(),
      /** The heart-cycle model (gradient-boosted trees over heart-cycle features), when the version has one. */
      cycleModel: z.string().optional(),
    }),
    training: z.record(z.string(), z.unknown()).optional(),
  })
  .refine(
    (manifest) =>
      (manifest.artifacts.cycleModel === undefined) === (manifest.decision.cycleModelWeight === undefined),
    {
      message:
        'artifacts.cycleModel and decision.cycleModelWeight go together: a heart-cycle model needs its weight, and a weight its model',
      path: ['decision', 'cycleModelWeight'],
    },
  );

export type ModelManifest = z.infer<typeof modelManifestSchema>;

/** The input section of a manifest for a model trained on `input`: what libs/model/src/input produces. */
export function describeModelInput(input: ModelInputSpec = DEFAULT_MODEL_INPUT): ModelManifest['input'] {
  const { frames, bands } = windowShape(input);
  return {
    sampleRate: MODEL_SAMPLE_RATE,
    windowSeconds: input.windowSeconds,
    hopSeconds: input.hopSeconds,
    frames,
    melBands: bands,
    featureConfig: { ...input.featureConfig },
    normalisation: WINDOW_NORMALISATION_NAMES[input.normalisation ?? 'window'],
  };
}

const FEATURE_CONFIG_KEYS = Object.keys(DEFAULT_FEATURE_CONFIG) as (keyof FeatureConfig)[];

/**
 * The input spec a manifest describes, checked for consistency (its frames and bands must be what
 * its feature config produces), so a model is always fed the features it was trained on.
 */
export function modelInputOfManifest(manifest: Pick<ModelManifest, 'version' | 'input'>): ModelInputSpec {
  const { input } = manifest;
  const featureConfig = {} as Record<keyof FeatureConfig, number>;
  for (const key of FEATURE_CONFIG_KEYS) {
    const value = input.featureConfig[key];
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new ModelDirectoryError(
        `Model ${manifest.version}: input.featureConfig.${key} must be a number, got ${JSON.stringify(value)}`,
      );
    featureConfig[key] = value;
  }
  if (input.sampleRate !== MODEL_SAMPLE_RATE || featureConfig.sampleRate !== MODEL_SAMPLE_RATE)
    throw new ModelDirectoryError(
      `Model ${manifest.version} expects ${input.sampleRate} Hz input; this version of HeartBeat conditions audio to ${MODEL_SAMPLE_RATE} Hz.`,
    );
  const normalisation = (Object.keys(WINDOW_NORMALISATION_NAMES) as WindowNormalisation[]).find(
    (key) => WINDOW_NORMALISATION_NAMES[key] === input.normalisation,
  )!;
  const spec: ModelInputSpec = {
    windowSeconds: input.windowSeconds,
    hopSeconds: input.hopSeconds,
    featureConfig,
    ...(normalisation === 'window' ? {} : { normalisation }),
  };
  const { frames, bands } = windowShape(spec);
  if (frames !== input.frames || bands !== input.melBands)
    throw new ModelDirectoryError(
      `Model ${manifest.version}: its feature config makes ${frames}x${bands} windows, but the manifest says ${input.frames}x${input.melBands}.`,
    );
  return spec;
}

export class ModelDirectoryError extends Error {
  readonly code = 'MODEL_DIRECTORY';
}

export function readModelManifest(modelDir: string): ModelManifest {
  const file = join(modelDir, MANIFEST_FILE);
  if (!existsSync(file)) {
    throw new ModelDirectoryError(
      `${modelDir} is not a HeartBeat model directory: ${MANIFEST_FILE} is missing.`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ModelDirectoryError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = modelManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ModelDirectoryError(`${file} is not a valid model manifest: ${issues}`);
  }
  return parsed.data;
}

export function writeModelManifest(modelDir: string, manifest: ModelManifest): void {
  writeFileSync(
    join(modelDir, MANIFEST_FILE),
    JSON.stringify(modelManifestSchema.parse(manifest), null, 2) + '\n',
  );
}
