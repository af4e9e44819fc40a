// The manifest of a model version directory: everything needed to turn window scores into the
// product's answer, and where the network's artifacts are. Validated on load, so a damaged or
// foreign directory fails with a message instead of producing wrong predictions.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_FEATURE_CONFIG } from '@heartbeat/audio';
import { z } from 'zod';
import { DEFAULT_HOP_SECONDS, MEL_BANDS, MODEL_SAMPLE_RATE, WINDOW_FRAMES, WINDOW_SECONDS } from '../input/model-input';

export const MANIFEST_FILE = 'heartbeat-model.json';

const calibrationSchema = z.object({ slope: z.number(), intercept: z.number() });

export const modelManifestSchema = z.object({
  schemaVersion: z.literal(1),
  name: z.string().min(1),
  version: z.string().regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'must be a semantic version such as 1.0.0'),
  createdAt: z.string(),
  input: z.object({
    sampleRate: z.number().int().positive(),
    windowSeconds: z.number().positive(),
    hopSeconds: z.number().positive(),
    frames: z.number().int().positive(),
    melBands: z.number().int().positive(),
    featureConfig: z.record(z.string(), z.unknown()),
    normalisation: z.literal('per-window-band-mean-and-std'),
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
  }),
  artifacts: z.object({
    tfjs: z.string(),
    onnx: z.string().optional(),
    card: z.string().optional(),
    metrics: z.string().optional(),
  }),
  training: z.record(z.string(), z.unknown()).optional(),
});

export type ModelManifest = z.infer<typeof modelManifestSchema>;

/** The input section of a manifest written by this code: what libs/model/src/input produces. */
export function describeModelInput(): ModelManifest['input'] {
  return {
    sampleRate: MODEL_SAMPLE_RATE,
    windowSeconds: WINDOW_SECONDS,
    hopSeconds: DEFAULT_HOP_SECONDS,
    frames: WINDOW_FRAMES,
    melBands: MEL_BANDS,
    featureConfig: { ...DEFAULT_FEATURE_CONFIG },
    normalisation: 'per-window-band-mean-and-std',
  };
}

export class ModelDirectoryError extends Error {
  readonly code = 'MODEL_DIRECTORY';
}

export function readModelManifest(modelDir: string): ModelManifest {
  const file = join(modelDir, MANIFEST_FILE);
  if (!existsSync(file)) {
    throw new ModelDirectoryError(`${modelDir} is not a HeartBeat model directory: ${MANIFEST_FILE} is missing.`);
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
  writeFileSync(join(modelDir, MANIFEST_FILE), JSON.stringify(modelManifestSchema.parse(manifest), null, 2) + '\n');
}
