// Gradient of FusedBatchNorm using broadcasting instead of tfjs-core's Tile of the per-channel
// factors to the full activation shape; wasm's Tile made that the single slowest op of a train step.
import * as tf from '@tensorflow/tfjs';

export const broadcastingBatchNormGradConfig: tf.GradConfig = {
  kernelName: tf.FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const outputGradient = dy as tf.Tensor;
    const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
    const [x, mean, variance, scale] = saved;
    const scaleValue = scale ?? tf.scalar(1);
    const reductionAxes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const reduceToParameterShape = (t: tf.Tensor): tf.Tensor =>
      reductionAxes.length > 0 ? tf.reshape(tf.sum(t, reductionAxes), mean.shape) : tf.reshape(t, mean.shape);
    const inverseStd = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
    // Computed once here rather than inside the closures: the tape runs each closure in its own
    // tidy scope, which would dispose a tensor shared between them.
    const dySum = reduceToParameterShape(outputGradient);
    const dyCentredSum = reduceToParameterShape(tf.mul(outputGradient, tf.sub(x, mean)));
    return {
      x: () => tf.mul(outputGradient, tf.mul(inverseStd, scaleValue)),
      mean: () => tf.mul(dySum, tf.neg(tf.mul(inverseStd, scaleValue))),
      variance: () =>
        tf.mul(dyCentredSum, tf.mul(tf.mul(tf.pow(inverseStd, 3), scaleValue), tf.scalar(-0.5))),
      scale: () => tf.mul(dyCentredSum, inverseStd),
      offset: () => tf.clone(dySum),
    };
  },
};
