// The manifest of a model version directory: everything needed to turn window scores into the
// product's answer, and where the network's artifacts are. Validated on load, so a damaged or
// foreign directory fails with a message instead of producing wrong predictions (plain checks, not
// zod: see json-checks.ts).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_FEATURE_CONFIG, type FeatureConfig } from '@heartbeat/audio';
import {
  DEFAULT_MODEL_INPUT,
  MODEL_SAMPLE_RATE,
  windowShape,
  type ModelInputSpec,
  type WindowNormalisation,
} from '../input/model-input';
import { isJsonObject, JsonIssues, type JsonObject } from './json-checks';

export const MANIFEST_FILE = 'heartbeat-model.json';

/** How a manifest names each WindowNormalisation. */
const WINDOW_NORMALISATION_NAMES = {
  window: 'per-window-band-mean-and-std',
  'heart-sounds': 'per-window-heart-sound-band-mean-and-std',
} as const satisfies Record<WindowNormalisation, string>;

const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const THRESHOLD_RULES = ['site-balanced-macc', 'pooled-macc'] as const;

export interface ModelManifest {
  schemaVersion: 1;
  name: string;
  /** Semantic version, e.g. 1.0.0. */
  version: string;
  createdAt: string;
  input: {
    sampleRate: number;
    windowSeconds: number;
    hopSeconds: number;
    frames: number;
    melBands: number;
    featureConfig: Record<string, unknown>;
    normalisation: (typeof WINDOW_NORMALISATION_NAMES)[WindowNormalisation];
  };
  decision: {
    calibration: { slope: number; intercept: number };
    threshold: number;
    minimumQuality: number;
    /** Site calibrations fitted later carry the site's name. */
    site?: string;
    /**
     * How the threshold was chosen: maximising the mean of each validation site's MAcc (a new site
     * does not share the training sites' mix), or the MAcc of all validation records pooled.
     * Absent in manifests written before the rule was recorded (pooled).
     */
    thresholdRule?: (typeof THRESHOLD_RULES)[number];
    /** With artifacts.cycleModel: the calibrated score is the mean window logit + this x the cycle model's logit. */
    cycleModelWeight?: number;
  };
  artifacts: {
    tfjs: string;
    onnx?: string;
    card?: string;
    metrics?: string;
    /** The heart-cycle model (gradient-boosted trees over heart-cycle features), when the version has one. */
    cycleModel?: string;
  };
  training?: Record<string, unknown>;
}

/** What is wrong with a parsed manifest, "path: problem" each; empty when it is a valid ModelManifest. */
export function modelManifestIssues(raw: unknown): string[] {
  const issues = new JsonIssues();
  if (!issues.expect(isJsonObject(raw), '(root)', 'expected an object')) return issues.list;
  const manifest = raw as JsonObject;
  issues.oneOf(manifest.schemaVersion, [1], 'schemaVersion');
  issues.string(manifest.name, 'name', { nonEmpty: true });
  if (typeof manifest.version === 'string')
    issues.expect(SEMVER.test(manifest.version), 'version', 'must be a semantic version such as 1.0.0');
  else issues.string(manifest.version, 'version');
  issues.string(manifest.createdAt, 'createdAt');

  const input = issues.object(manifest, 'input');
  issues.number(input.sampleRate, 'input.sampleRate', { integer: true, positive: true });
  issues.number(input.windowSeconds, 'input.windowSeconds', { positive: true });
  issues.number(input.hopSeconds, 'input.hopSeconds', { positive: true });
  issues.number(input.frames, 'input.frames', { integer: true, positive: true });
  issues.number(input.melBands, 'input.melBands', { integer: true, positive: true });
  issues.object(input, 'featureConfig', 'input.featureConfig');
  issues.oneOf(input.normalisation, Object.values(WINDOW_NORMALISATION_NAMES), 'input.normalisation');

  const decision = issues.object(manifest, 'decision');
  const calibration = issues.object(decision, 'calibration', 'decision.calibration');
  issues.number(calibration.slope, 'decision.calibration.slope');
  issues.number(calibration.intercept, 'decision.calibration.intercept');
  issues.number(decision.threshold, 'decision.threshold', { min: 0, max: 1 });
  issues.number(decision.minimumQuality, 'decision.minimumQuality', { min: 0, max: 1 });
  issues.string(decision.site, 'decision.site', { optional: true });
  issues.oneOf(decision.thresholdRule, THRESHOLD_RULES, 'decision.thresholdRule', { optional: true });
  issues.number(decision.cycleModelWeight, 'decision.cycleModelWeight', { positive: true, optional: true });

  const artifacts = issues.object(manifest, 'artifacts');
  issues.string(artifacts.tfjs, 'artifacts.tfjs');
  for (const key of ['onnx', 'card', 'metrics', 'cycleModel'])
    issues.string(artifacts[key], `artifacts.${key}`, { optional: true });
  if (manifest.training !== undefined) issues.object(manifest, 'training');

  issues.expect(
    (artifacts.cycleModel === undefined) === (decision.cycleModelWeight === undefined),
    'decision.cycleModelWeight',
    'artifacts.cycleModel and decision.cycleModelWeight go together: a heart-cycle model needs its weight, and a weight its model',
  );
  return issues.list;
}

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
  const issues = modelManifestIssues(raw);
  if (issues.length > 0)
    throw new ModelDirectoryError(`${file} is not a valid model manifest: ${issues.join('; ')}`);
  return raw as ModelManifest;
}

export function writeModelManifest(modelDir: string, manifest: ModelManifest): void {
  const issues = modelManifestIssues(manifest);
  if (issues.length > 0) throw new ModelDirectoryError(`Not a valid model manifest: ${issues.join('; ')}`);
  writeFileSync(join(modelDir, MANIFEST_FILE), JSON.stringify(canonicalManifest(manifest), null, 2) + '\n');
}

/** The manifest's known fields in the order of ModelManifest, others left out: files come out alike whatever built the object. */
function canonicalManifest(m: ModelManifest): ModelManifest {
  const { input, decision, artifacts } = m;
  return {
    schemaVersion: m.schemaVersion,
    name: m.name,
    version: m.version,
    createdAt: m.createdAt,
    input: {
      sampleRate: input.sampleRate,
      windowSeconds: input.windowSeconds,
      hopSeconds: input.hopSeconds,
      frames: input.frames,
      melBands: input.melBands,
      featureConfig: input.featureConfig,
      normalisation: input.normalisation,
    },
    decision: {
      calibration: { slope: decision.calibration.slope, intercept: decision.calibration.intercept },
      threshold: decision.threshold,
      minimumQuality: decision.minimumQuality,
      site: decision.site,
      thresholdRule: decision.thresholdRule,
      cycleModelWeight: decision.cycleModelWeight,
    },
    artifacts: {
      tfjs: artifacts.tfjs,
      onnx: artifacts.onnx,
      card: artifacts.card,
      metrics: artifacts.metrics,
      cycleModel: artifacts.cycleModel,
    },
    training: m.training,
  };
}
