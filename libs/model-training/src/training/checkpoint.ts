// A training run's checkpoint: the network's weights after an epoch and the epochs so far, enough to
// carry on after a crash (trainModelVersion's resumeFrom), and its encoding as two stored objects.
import * as tf from '@tensorflow/tfjs';
import type { EpochReport } from './trainer';

/** The network's weights after an epoch, enough to carry on training after a crash. */
export interface TrainingCheckpoint {
  /** Epochs completed (1-based count). */
  epoch: number;
  epochs: number;
  history: EpochReport[];
  shapes: number[][];
  weights: Float32Array;
}

export function snapshotCheckpoint(
  model: tf.LayersModel,
  history: EpochReport[],
  epoch: number,
  epochs: number,
): TrainingCheckpoint {
  const tensors = model.getWeights();
  const shapes = tensors.map((t) => [...t.shape]);
  const total = tensors.reduce((n, t) => n + t.size, 0);
  const weights = new Float32Array(total);
  let offset = 0;
  for (const tensor of tensors) {
    const values = tensor.dataSync();
    weights.set(values, offset);
    offset += values.length;
  }
  return { epoch, epochs, history: [...history], shapes, weights };
}

export function restoreCheckpoint(model: tf.LayersModel, checkpoint: TrainingCheckpoint): void {
  let offset = 0;
  const tensors = checkpoint.shapes.map((shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const tensor = tf.tensor(checkpoint.weights.subarray(offset, offset + size), shape);
    offset += size;
    return tensor;
  });
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/** Checkpoint as two objects' bodies: a JSON header and the raw float32 weights. */
export function encodeCheckpoint(checkpoint: TrainingCheckpoint): { header: string; weights: Buffer } {
  const { weights, ...header } = checkpoint;
  return {
    header: JSON.stringify(header),
    weights: Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength),
  };
}

export function decodeCheckpoint(header: string, weights: Buffer): TrainingCheckpoint {
  const parsed = JSON.parse(header) as Omit<TrainingCheckpoint, 'weights'>;
  const copy = new Uint8Array(weights.byteLength);
  copy.set(weights);
  return { ...parsed, weights: new Float32Array(copy.buffer) };
}
