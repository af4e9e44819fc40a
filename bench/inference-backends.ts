// Inference throughput (windows/s) of the HeartBeat CNN on onnxruntime-node vs tfjs-wasm, batch 32,
// one thread each. Run: npm exec -- node -r @swc-node/register bench/inference-backends.ts [seconds]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadWindowClassifier, ONNX_MODEL_FILE, type WindowClassifier } from '@heartbeat/model';
import { buildHeartSoundCnn, exportToOnnx, initTfBackend, saveTfjsModel } from '@heartbeat/model-training';

const BATCH = 32;
const WINDOW_VALUES = 251 * 64;

async function windowsPerSecond(
  classifier: WindowClassifier,
  batch: Float32Array,
  seconds: number,
): Promise<number> {
  await classifier.predictLogits(batch, BATCH);
  let windows = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    await classifier.predictLogits(batch, BATCH);
    windows += BATCH;
  }
  return windows / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  await initTfBackend('wasm');
  const dir = await mkdtemp(join(tmpdir(), 'heartbeat-bench-'));
  try {
    const model = buildHeartSoundCnn();
    await saveTfjsModel(model, dir);
    await writeFile(join(dir, ONNX_MODEL_FILE), exportToOnnx(model));
    model.dispose();
    const batch = Float32Array.from({ length: BATCH * WINDOW_VALUES }, (_, i) => -6 + Math.sin(i * 0.37) * 2);
    for (const backend of ['onnx', 'tfjs'] as const) {
      const classifier = await loadWindowClassifier(dir, {
        backend,
        intraOpNumThreads: 1,
        tfBackend: 'wasm',
      });
      const rate = await windowsPerSecond(classifier, batch, seconds);
      console.log(
        JSON.stringify({
          backend: classifier.backend,
          batch: BATCH,
          threads: 1,
          windowsPerSecond: Math.round(rate),
        }),
      );
      await classifier.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void main();
