import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMPACT_MODEL_INPUT, DEFAULT_MODEL_INPUT } from '../input/model-input';
import {
  describeModelInput,
  MANIFEST_FILE,
  ModelDirectoryError,
  modelInputOfManifest,
  readModelManifest,
  writeModelManifest,
} from './model-manifest';

describe('model manifest input', () => {
  it('reads back the input spec a manifest was written with', () => {
    for (const spec of [
      DEFAULT_MODEL_INPUT,
      COMPACT_MODEL_INPUT,
      { ...COMPACT_MODEL_INPUT, normalisation: 'heart-sounds' as const },
    ]) {
      const input = modelInputOfManifest({ version: '9.9.9', input: describeModelInput(spec) });
      expect(input).toEqual({ ...spec, featureConfig: { ...spec.featureConfig } });
    }
  });

  it('names how a window is normalised, so a model is never fed windows normalised another way', () => {
    expect(describeModelInput(COMPACT_MODEL_INPUT).normalisation).toBe('per-window-band-mean-and-std');
    const overSounds = describeModelInput({ ...COMPACT_MODEL_INPUT, normalisation: 'heart-sounds' });
    expect(overSounds.normalisation).toBe('per-window-heart-sound-band-mean-and-std');
    expect(modelInputOfManifest({ version: '9.9.9', input: overSounds }).normalisation).toBe('heart-sounds');
  });

  it('describes the shipped models 1.0.0 and 1.1.0 as the default input', () => {
    expect(describeModelInput()).toMatchObject({
      frames: 251,
      melBands: 64,
      windowSeconds: 5,
      hopSeconds: 2.5,
    });
  });

  it('refuses a manifest whose window shape does not follow from its feature config', () => {
    const input = { ...describeModelInput(COMPACT_MODEL_INPUT), frames: 251 };
    expect(() => modelInputOfManifest({ version: '9.9.9', input })).toThrow(ModelDirectoryError);
    expect(() => modelInputOfManifest({ version: '9.9.9', input })).toThrow(
      /makes 126x32 windows, but the manifest says 251x32/,
    );
  });

  it('refuses a feature config with a missing value or another sample rate', () => {
    const missing = describeModelInput();
    delete (missing.featureConfig as Record<string, unknown>).hopLength;
    expect(() => modelInputOfManifest({ version: '9.9.9', input: missing })).toThrow(
      /featureConfig.hopLength must be a number/,
    );
    const rate = { ...describeModelInput(), sampleRate: 4000 };
    expect(() => modelInputOfManifest({ version: '9.9.9', input: rate })).toThrow(/expects 4000 Hz input/);
  });
});

// Manifests of versions no longer shipped in models/ (1.1.0, 1.2.0: before heart-cycle models), kept
// as fixtures so the older manifest shape stays covered.
const MANIFEST_FIXTURES = join(__dirname, '../../test/fixtures/model-manifests');

describe('model manifest heart-cycle model', () => {
  const manifest = JSON.parse(readFileSync(join(MANIFEST_FIXTURES, '1.2.0', MANIFEST_FILE), 'utf8'));
  const directory = mkdtempSync(join(tmpdir(), 'heartbeat-manifest-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  const read = (changed: object) => {
    writeFileSync(join(directory, MANIFEST_FILE), JSON.stringify(changed));
    return () => readModelManifest(directory);
  };

  it('accepts a cycle model together with its weight', () => {
    const withCycle = {
      ...manifest,
      artifacts: { ...manifest.artifacts, cycleModel: 'cycle-model.json' },
      decision: { ...manifest.decision, cycleModelWeight: 0.25 },
    };
    expect(read(withCycle)().decision.cycleModelWeight).toBe(0.25);
  });

  it('refuses a cycle model without its weight, or a weight without a model', () => {
    expect(
      read({ ...manifest, artifacts: { ...manifest.artifacts, cycleModel: 'cycle-model.json' } }),
    ).toThrow(/go together/);
    expect(read({ ...manifest, decision: { ...manifest.decision, cycleModelWeight: 0.25 } })).toThrow(
      /go together/,
    );
  });
});

describe('model manifest checks', () => {
  const shippedDir = (version: string) =>
    version === '1.1.0' ? join(MANIFEST_FIXTURES, version) : join(__dirname, `../../../../models/${version}`);
  const shipped = (version: string) => readFileSync(join(shippedDir(version), MANIFEST_FILE), 'utf8');
  const directory = mkdtempSync(join(tmpdir(), 'heartbeat-manifest-checks-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('names every field that is wrong, with what it expected', () => {
    const manifest = JSON.parse(shipped('1.6.0'));
    manifest.version = '1.6';
    manifest.input.frames = 0;
    manifest.decision.threshold = 1.5;
    delete manifest.artifacts.tfjs;
    writeFileSync(join(directory, MANIFEST_FILE), JSON.stringify(manifest));
    const error = (() => {
      try {
        readModelManifest(directory);
      } catch (thrown) {
        return thrown as Error;
      }
    })();
    expect(error).toBeInstanceOf(ModelDirectoryError);
    expect(error?.message).toContain('version: must be a semantic version such as 1.0.0');
    expect(error?.message).toContain('input.frames: expected a number above 0, got 0');
    expect(error?.message).toContain('decision.threshold: expected at most 1, got 1.5');
    expect(error?.message).toContain('artifacts.tfjs: expected a string, got nothing');
  });

  it('writes a shipped manifest back with its fields in the same order, whatever order the object was built in', () => {
    for (const version of ['1.1.0', '1.6.0']) {
      const manifest = readModelManifest(shippedDir(version));
      const reordered = { ...manifest, input: { ...manifest.input }, schemaVersion: manifest.schemaVersion };
      writeModelManifest(directory, reordered);
      expect(readFileSync(join(directory, MANIFEST_FILE), 'utf8')).toBe(
        `${JSON.stringify(JSON.parse(shipped(version)), null, 2)}\n`,
      );
    }
  });
});
