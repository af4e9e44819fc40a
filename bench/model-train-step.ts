// Measures training throughput (windows/s) of the HeartBeat CNN for one train step at batch 32.
// Run: npm exec -- node -r @swc-node/register bench/model-train-step.ts [wasm|cpu] [steps]
import * as tf from '@tensorflow/tfjs';
import {
  buildHeartSoundCnn,
  compileHeartSoundCnn,
  countMultiplyAccumulates,
  initTfBackend,
} from '@heartbeat/model-training';

const BATCH = 32;

async function main(): Promise<void> {
  const backend = await initTfBackend((process.argv[2] as 'wasm' | 'cpu' | undefined) ?? 'wasm');
  const steps = Number(process.argv[3] ?? 6);
  const model = buildHeartSoundCnn();
  compileHeartSoundCnn(model);
  const windows = tf.randomNormal([BATCH, 251, 64, 1], -6, 2, 'float32', 1);
  const labels = tf.tensor2d(
    Array.from({ length: BATCH }, (_, i) => i % 2),
    [BATCH, 1],
  );
  await model.trainOnBatch(windows, labels);
  const started = performance.now();
  for (let i = 0; i < steps; i++) await model.trainOnBatch(windows, labels);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    JSON.stringify({
      backend,
      parameters: model.countParams(),
      mflopPerWindow: +((2 * countMultiplyAccumulates(model)) / 1e6).toFixed(1),
      batch: BATCH,
      steps,
      trainWindowsPerSecond: +((steps * BATCH) / seconds).toFixed(1),
    }),
  );
}

void main();
