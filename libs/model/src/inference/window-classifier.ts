// The one interface every inference backend implements: batched logits for log-mel windows.

/** Files a model version directory holds for the two runtimes. */
export const ONNX_MODEL_FILE = 'model.onnx';
export const TFJS_MODEL_FILE = 'model.json';
export const TFJS_WEIGHTS_FILE = 'weights.bin';

export interface WindowClassifier {
  /** Which runtime and device serve predictions, e.g. 'onnxruntime-cpu' or 'tfjs-wasm'. */
  readonly backend: string;
  /**
   * Logits (log-odds of "abnormal") for `n` windows laid out back to back in `batch`, each window
   * frame-major [251 frames x 64 bands] as in the feature contract. Returns n values.
   */
  predictLogits(batch: Float32Array, n: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export function assertBatchSize(batch: Float32Array, n: number, valuesPerWindow: number): void {
  if (!Number.isInteger(n) || n < 0 || batch.length < n * valuesPerWindow) {
    throw new Error(
      `predictLogits: ${n} windows need ${n * valuesPerWindow} values (${valuesPerWindow} each), got ${batch.length}`,
    );
  }
}
