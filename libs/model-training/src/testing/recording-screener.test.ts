// The serving lib's screener on version directories made by the training lib's test fixture (an
// untrained network exported to ONNX, with or without a heart-cycle model): here rather than in
// libs/model, which must not depend on the training lib.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeAudio, heartSoundSpectrogram, prepareSignal } from '@heartbeat/audio';
import {
  COMPACT_MODEL_INPUT,
  decideFromWindowLogits,
  loadRecordingScreener,
  prepareRecording,
  readModelManifest,
  recordingWindows,
  segmentForNormalisation,
  sigmoid,
} from '@heartbeat/model';
import { createUntrainedModelDirectory } from './untrained-model-directory';

const recording = new Uint8Array(readFileSync(join(__dirname, '../../../audio/test/fixtures/a0238.flac')));
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function modelDir(options: Parameters<typeof createUntrainedModelDirectory>[2]): Promise<string> {
  const dir = await createUntrainedModelDirectory(
    await mkdtemp(join(tmpdir(), 'screener-')),
    '0.0.1',
    options,
  );
  dirs.push(dir);
  return dir;
}

describe('recording screener', () => {
  it("adds the heart-cycle model's logit, times its weight, to the network's mean logit before calibration", async () => {
    const screener = await loadRecordingScreener(await modelDir({ cycleModel: { logit: 2, weight: 0.25 } }));
    try {
      const result = await screener.screen(recording);
      expect(result.cycleLogit).toBe(2);
      expect(result.score).toBeCloseTo(result.meanLogit + 0.5, 12);
      expect(result.probability).toBeCloseTo(sigmoid(result.score), 12);
    } finally {
      await screener.dispose();
    }
  });

  it('scores by the mean window logit alone for a version without a heart-cycle model', async () => {
    const screener = await loadRecordingScreener(await modelDir({}));
    try {
      const result = await screener.screen(recording);
      expect(result.cycleLogit).toBeUndefined();
      expect(result.score).toBe(result.meanLogit);
    } finally {
      await screener.dispose();
    }
  });

  it('refuses to decide without the heart-cycle model the version needs', async () => {
    const manifest = readModelManifest(await modelDir({ cycleModel: { logit: 1, weight: 1 } }));
    const prepared = await prepareRecording(recording);
    expect(() => decideFromWindowLogits(prepared, new Float32Array(prepared.windowCount), manifest)).toThrow(
      /needs its heart-cycle model/,
    );
  });

  it('normalises windows over the heart sounds of the segmentation it keeps, for a version whose input asks for it', async () => {
    const input = { ...COMPACT_MODEL_INPUT, normalisation: 'heart-sounds' as const };
    const prepared = await prepareRecording(recording, {}, input);
    const signal = prepareSignal(await decodeAudio(recording));
    expect(prepared.heartSoundSegments).toEqual(segmentForNormalisation(signal));
    expect(prepared.heartSoundSpectrogram).toEqual(heartSoundSpectrogram(signal, 128));
    expect(prepared.features).toEqual(recordingWindows(signal, input).features);
    expect(prepared.features).not.toEqual(
      (await prepareRecording(recording, {}, COMPACT_MODEL_INPUT)).features,
    );
  });
});
