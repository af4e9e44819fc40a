// One session thread per test file: under vitest's worker processes a second onnxruntime thread
// started after the first was ended crashed the process (not seen in plain Node, and the CLI starts
// one per process); onnx-session-thread-failure.test.ts has the other one.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLED_MODELS_DIR } from '../model-version/bundled-versions';
import { OnnxSessionThread } from './onnx-session-thread';
import { OnnxWindowClassifier } from './onnx-window-classifier';
import { ONNX_MODEL_FILE } from './window-classifier';

const MODEL = join(BUNDLED_MODELS_DIR, '1.6.0', ONNX_MODEL_FILE);
const WINDOW_VALUES = 126 * 32; // 1.6.0's compact input

describe('ONNX session on a thread of its own', () => {
  const thread = OnnxSessionThread.start(MODEL);
  afterAll(() => thread.dispose());

  it('gives the same logits as a session on the calling thread', async () => {
    const windows = 5;
    const batch = Float32Array.from({ length: windows * WINDOW_VALUES }, (_, i) => Math.sin(i * 0.37));
    const local = await OnnxWindowClassifier.create(MODEL);
    const fromHere = await local.predictLogits(batch, windows);
    await local.dispose();
    expect(Array.from(await thread.predictLogits(batch, windows))).toEqual(Array.from(fromHere));
    expect(thread.backend).toBe(local.backend);
    expect(await thread.predictLogits(new Float32Array(0), 0)).toHaveLength(0);
  });

  it('refuses a batch of the wrong size as the calling-thread classifier does', async () => {
    await expect(thread.predictLogits(new Float32Array(WINDOW_VALUES + 1), 1)).rejects.toThrow(
      /were the features made with another model's input spec/,
    );
  });
});
