// Loss, metric and compile settings for a network whose output is a logit rather than a
// probability; tfjs-layers' built-in 'binaryCrossentropy' and 'accuracy' expect probabilities.
import * as tf from '@tensorflow/tfjs';

/**
 * Binary cross-entropy computed from logits in the numerically stable form
 * max(z, 0) - z*y + log(1 + exp(-|z|)), one value per sample so fit()'s classWeight and
 * sampleWeight can scale it.
 */
export function sigmoidCrossEntropyFromLogits(labels: tf.Tensor, logits: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const perOutput = tf.add(
      tf.sub(tf.relu(logits), tf.mul(logits, labels)),
      tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
    );
    return tf.mean(perOutput, -1);
  });
}

/** Fraction of samples whose logit falls on the side of 0 that matches the 0/1 label. */
export function binaryAccuracyFromLogits(labels: tf.Tensor, logits: tf.Tensor): tf.Tensor {
  return tf.tidy(() =>
    tf.mean(tf.equal(tf.greater(logits, 0), tf.greater(labels, 0.5)).asType('float32'), -1),
  );
}

export interface CompileOptions {
  learningRate?: number;
}

/**
 * Compiles a logit-output model for model.fit / trainOnBatch with Adam, the logit cross-entropy and
 * the logit accuracy (logged as 'binaryAccuracyFromLogits' / 'val_binaryAccuracyFromLogits').
 */
export function compileHeartSoundCnn(model: tf.LayersModel, options: CompileOptions = {}): void {
  model.compile({
    optimizer: tf.train.adam(options.learningRate ?? 1e-3),
    loss: sigmoidCrossEntropyFromLogits,
    metrics: [binaryAccuracyFromLogits],
  });
}
