// Window classifier on TensorFlow.js (native TensorFlow if installed, else wasm, else cpu).
import * as tf from '@tensorflow/tfjs';
import { initTfBackend } from '../network/backend';
import { loadTfjsModel } from './tfjs-model-files';
import { assertBatchSize, type TfjsClassifierOptions, type WindowClassifier } from '@heartbeat/model';

export class TfjsWindowClassifier implements WindowClassifier {
  private constructor(
    private readonly model: tf.LayersModel,
    readonly backend: string,
  ) {}

  /** Loads model.json + weights.bin from `modelDir` (see saveTfjsModel). */
  static async load(modelDir: string, options: TfjsClassifierOptions = {}): Promise<TfjsWindowClassifier> {
    const active = await initTfBackend(options.tfBackend ?? 'auto');
    return TfjsWindowClassifier.fromModel(await loadTfjsModel(modelDir), active);
  }

  /** Wraps an in-memory model; the classifier owns it from then on and disposes it. */
  static fromModel(model: tf.LayersModel, activeBackend: string = tf.getBackend()): TfjsWindowClassifier {
    return new TfjsWindowClassifier(model, `tfjs-${activeBackend}`);
  }

  async predictLogits(batch: Float32Array, n: number): Promise<Float32Array> {
    const windowShape = this.model.inputs[0].shape.slice(1) as number[];
    assertBatchSize(
      batch,
      n,
      windowShape.reduce((a, b) => a * b, 1),
    );
    if (n === 0) return new Float32Array(0);
    const logits = tf.tidy(() => {
      const input = tf.tensor(batch.subarray(0, n * windowShape.reduce((a, b) => a * b, 1)), [
        n,
        ...windowShape,
      ]);
      return tf.reshape(this.model.predict(input) as tf.Tensor, [n]);
    });
    try {
      return Float32Array.from(await logits.data());
    } finally {
      logits.dispose();
    }
  }

  async dispose(): Promise<void> {
    this.model.dispose();
  }
}
