// The one interface every inference backend implements: batched logits for log-mel windows.

/** Files a model version directory holds for the two runtimes. */
export const ONNX_MODEL_FILE = 'model.onnx';
export const TFJS_MODEL_FILE = 'model.json';
export const TFJS_WEIGHTS_FILE = 'weights.bin';

export interface WindowClassifier {
  /** Which runtime and device serve predictions, e.g. 'onnxruntime-cpu' or 'tfjs-wasm'. */
  readonly backend: string;
  /** A classifier that loads in the background (OnnxSessionThread): settles when it can predict, or rejects with why it cannot. */
  readonly ready?: Promise<void>;
  /**
   * Logits (log-odds of "abnormal") for `n` windows laid out back to back in `batch`, each window
   * frame-major [frames x bands] as the model's input spec makes them (251 x 64 for the default
   * input). `batch` holds exactly n windows. Returns n values.
   */
  predictLogits(batch: Float32Array, n: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export function assertBatchSize(batch: Float32Array, n: number, valuesPerWindow: number): void {
  // Exactly: a longer buffer means features made for another input shape, not spare room.
  if (!Number.isInteger(n) || n < 0 || batch.length !== n * valuesPerWindow) {
    throw new Error(
      `predictLogits: ${n} windows of this model hold ${n * valuesPerWindow} values (${valuesPerWindow} each), got ${batch.length}; were the features made with another model's input spec?`,
    );
  }
}
