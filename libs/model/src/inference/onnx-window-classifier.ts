// Window classifier on onnxruntime-node: the fast default (about 9x tfjs-wasm on one core).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { assertBatchSize, type WindowClassifier } from './window-classifier';

export type OnnxExecutionProvider = 'auto' | 'cuda' | 'cpu';

export interface OnnxClassifierOptions {
  /** Threads per session for one operator; 1 is fastest per process for a model this small. */
  intraOpNumThreads?: number;
  /** 'auto' uses CUDA when its provider library is installed; 'cuda' tries it and falls back to CPU. */
  executionProvider?: OnnxExecutionProvider;
}

export class OnnxWindowClassifier implements WindowClassifier {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly backend: string,
    private readonly windowShape: readonly number[],
    /** Why CUDA was not used when it was asked for; undefined otherwise. */
    readonly cudaFallbackReason?: string,
  ) {}

  /** Loads an ONNX model (file path or bytes) exported by exportToOnnx. */
  static async create(
    model: string | Uint8Array,
    options: OnnxClassifierOptions = {},
  ): Promise<OnnxWindowClassifier> {
    const intraOpNumThreads = options.intraOpNumThreads ?? 1;
    const provider = options.executionProvider ?? 'auto';
    const base: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    };
    let cudaFallbackReason: string | undefined;
    if (provider === 'cuda' || (provider === 'auto' && cudaProviderInstalled())) {
      try {
        const session = await createSession(model, { ...base, executionProviders: ['cuda', 'cpu'] });
        return new OnnxWindowClassifier(session, 'onnxruntime-cuda', windowShapeOf(session));
      } catch (error) {
        cudaFallbackReason = (error as Error).message;
      }
    }
    const session = await createSession(model, { ...base, executionProviders: ['cpu'] });
    return new OnnxWindowClassifier(session, 'onnxruntime-cpu', windowShapeOf(session), cudaFallbackReason);
  }

  async predictLogits(batch: Float32Array, n: number): Promise<Float32Array> {
    const valuesPerWindow = this.windowShape.reduce((a, b) => a * b, 1);
    assertBatchSize(batch, n, valuesPerWindow);
    if (n === 0) return new Float32Array(0);
    const input = new ort.Tensor('float32', batch.subarray(0, n * valuesPerWindow), [n, ...this.windowShape]);
    const outputs = await this.session.run({ [this.session.inputNames[0]]: input }, ['logit']);
    return Float32Array.from(outputs.logit.data as Float32Array);
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

function createSession(model: string | Uint8Array, options: ort.InferenceSession.SessionOptions) {
  return typeof model === 'string'
    ? ort.InferenceSession.create(model, options)
    : ort.InferenceSession.create(model, options);
}

/** [H, W, C] of one window, read from the model's input metadata. */
function windowShapeOf(session: ort.InferenceSession): number[] {
  const metadata = session.inputMetadata[0];
  if (metadata === undefined || !metadata.isTensor) throw new Error('ONNX model has no tensor input');
  const dims = metadata.shape.slice(1);
  if (dims.some((d) => typeof d !== 'number'))
    throw new Error(`ONNX model input needs static window dims, got [${metadata.shape}]`);
  return dims as number[];
}

/**
 * The CUDA provider is a separate shared library next to the onnxruntime binding; probing for it
 * avoids a noisy native error on the (common) CPU-only install.
 */
function cudaProviderInstalled(): boolean {
  try {
    const packageDir = dirname(require.resolve('onnxruntime-node/package.json'));
    return existsSync(
      join(packageDir, 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so'),
    );
  } catch {
    return false;
  }
}
