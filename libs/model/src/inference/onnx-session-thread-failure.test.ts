import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxSessionThread } from './onnx-session-thread';
import { ONNX_MODEL_FILE } from './window-classifier';

describe('ONNX session thread with a model that cannot be loaded', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'heartbeat-session-thread-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("rejects its readiness and every prediction with onnxruntime's reason", async () => {
    const broken = join(scratch, ONNX_MODEL_FILE);
    writeFileSync(broken, 'not an onnx model');
    const thread = OnnxSessionThread.start(broken);
    try {
      await expect(thread.ready).rejects.toThrow(/failed/);
      await expect(thread.predictLogits(new Float32Array(126 * 32), 1)).rejects.toThrow(/failed/);
    } finally {
      await thread.dispose();
    }
  });
});
