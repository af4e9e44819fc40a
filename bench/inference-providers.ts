// Windows per second of the shipped network by batch size on onnxruntime's CPU and CUDA execution
// providers, as the inference worker creates them (OnnxWindowClassifier). Runs unchanged on a GPU
// machine (the GPU image, or onnxruntime-node with its CUDA provider library installed); without one
// the CUDA rows say why they were skipped. Wall time and the process's CPU time are both printed:
// on a shared machine CPU time per window is the steadier figure.
//   npm exec -- node -r @swc-node/register bench/inference-providers.ts [--model models/1.6.0] [--seconds 3] [--batches 1,8,32,64,128,256] [--threads 1]
import { join } from 'node:path';
import { defaultModelDir, readModelManifest } from '@heartbeat/model/screening';
import { ONNX_MODEL_FILE, OnnxWindowClassifier, type OnnxExecutionProvider } from '@heartbeat/model';
import { machineLoad } from './process-cpu';

const args = process.argv.slice(2);
const valueOf = (flag: string) => (args.indexOf(flag) >= 0 ? args[args.indexOf(flag) + 1] : undefined);
const modelDir = valueOf('--model') ?? defaultModelDir();
const seconds = Number(valueOf('--seconds') ?? 3);
const batches = (valueOf('--batches') ?? '1,8,32,64,128,256').split(',').map(Number);
const threads = Number(valueOf('--threads') ?? 1);

async function measure(classifier: OnnxWindowClassifier, all: Float32Array, n: number) {
  const batch = all.subarray(0, (n * all.length) / Math.max(...batches));
  await classifier.predictLogits(batch, n); // warm-up (CUDA: kernels, memory arena)
  let windows = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    await classifier.predictLogits(batch, n);
    windows += n;
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    batch: n,
    windowsPerSecond: Math.round(windows / wallSeconds),
    windowsPerCpuSecond: Math.round(windows / cpuSeconds),
  };
}

async function main(): Promise<void> {
  const manifest = readModelManifest(modelDir);
  const [frames, bands, channels] = [manifest.input.frames, manifest.input.melBands, 1];
  const valuesPerWindow = frames * bands * channels;
  const biggest = Math.max(...batches);
  const batch = new Float32Array(biggest * valuesPerWindow);
  for (let i = 0; i < batch.length; i++) batch[i] = Math.sin(i * 0.37) * 1.5; // normalised log-mel-like values
  const report: Record<string, unknown> = {
    model: manifest.version,
    window: [frames, bands],
    intraOpThreads: threads,
    secondsPerBatchSize: seconds,
    loadBefore: machineLoad(),
  };
  for (const provider of ['cpu', 'cuda'] as const) {
    // 'auto' tries CUDA only where its provider library is installed (forcing 'cuda' on a CPU-only
    // install makes onnxruntime print a native load error before falling back).
    const executionProvider: OnnxExecutionProvider = provider === 'cuda' ? 'auto' : 'cpu';
    const classifier = await OnnxWindowClassifier.create(join(modelDir, ONNX_MODEL_FILE), {
      executionProvider,
      intraOpNumThreads: threads,
    });
    if (provider === 'cuda' && classifier.backend !== 'onnxruntime-cuda') {
      report.cuda = {
        skipped: `no CUDA execution provider here: ${classifier.cudaFallbackReason ?? "onnxruntime-node's CUDA provider library (libonnxruntime_providers_cuda.so) is not installed"}`,
      };
      await classifier.dispose();
      continue;
    }
    const rows = [];
    for (const n of batches) rows.push(await measure(classifier, batch, n));
    report[provider] = { backend: classifier.backend, rows };
    await classifier.dispose();
  }
  report.loadAfter = machineLoad();
  console.log(JSON.stringify(report, null, 2));
}

void main();
