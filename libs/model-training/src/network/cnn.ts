// The window classifier network: a compact CNN over one 5-s log-mel window (default [251, 64, 1],
// NHWC) that outputs one logit (log-odds of "abnormal"). Sigmoid is applied outside the network.
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_MODEL_INPUT, windowShape, type ModelInputSpec } from '@heartbeat/model';

/** The network input shape [frames, bands, 1] for windows made with `input`. */
export function networkInputShape(input: ModelInputSpec): [number, number, number] {
  const { frames, bands } = windowShape(input);
  return [frames, bands, 1];
}

export const WINDOW_INPUT_SHAPE: readonly [number, number, number] = networkInputShape(DEFAULT_MODEL_INPUT);

export interface HeartSoundCnnOptions {
  /** [frames, bands, channels]; defaults to the feature contract's [251, 64, 1]. */
  inputShape?: readonly [number, number, number];
  /** Filters of each conv block (conv3x3 -> batch norm -> ReLU -> 2x2 max pool, none after the last). */
  blockFilters?: readonly number[];
  dropoutRate?: number;
  /** Seeds every initializer and the dropout mask, so two builds with one seed are identical. */
  seed?: number;
}

// 80.5k parameters, 18.2M multiply-accumulates per window; the narrow first block keeps the
// full-resolution layers (the costliest part of a wasm train step) cheap.
export const DEFAULT_BLOCK_FILTERS: readonly number[] = [8, 16, 32, 64, 96];

/**
 * Builds the CNN. Each block is conv3x3 (no bias; batch norm supplies the shift) -> batch norm ->
 * ReLU -> max pool. ReLU comes before pooling on purpose: wasm's MaxPoolGrad misroutes the gradient
 * of windows whose values are all negative, which cannot happen after a ReLU. The last block skips
 * pooling and feeds global average pooling -> dropout -> dense(1, linear) = the logit.
 */
export function buildHeartSoundCnn(options: HeartSoundCnnOptions = {}): tf.LayersModel {
  const inputShape = options.inputShape ?? WINDOW_INPUT_SHAPE;
  const blockFilters = options.blockFilters ?? DEFAULT_BLOCK_FILTERS;
  const dropoutRate = options.dropoutRate ?? 0.3;
  const seed = options.seed ?? 42;
  if (blockFilters.length === 0) throw new Error('buildHeartSoundCnn needs at least one conv block');

  const input = tf.input({ shape: [...inputShape], name: 'mel' });
  let x: tf.SymbolicTensor = input;
  blockFilters.forEach((filters, index) => {
    const block = index + 1;
    x = tf.layers
      .conv2d({
        filters,
        kernelSize: 3,
        padding: 'same',
        useBias: false,
        kernelInitializer: tf.initializers.heNormal({ seed: seed + block }),
        name: `block${block}_conv`,
      })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .batchNormalization({ momentum: 0.99, epsilon: 1e-3, name: `block${block}_bn` })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ name: `block${block}_relu` }).apply(x) as tf.SymbolicTensor;
    if (block < blockFilters.length) {
      x = tf.layers
        .maxPooling2d({ poolSize: 2, strides: 2, name: `block${block}_pool` })
        .apply(x) as tf.SymbolicTensor;
    }
  });
  x = tf.layers.globalAveragePooling2d({ name: 'global_pool' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: dropoutRate, seed, name: 'dropout' }).apply(x) as tf.SymbolicTensor;
  const logit = tf.layers
    .dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed }), name: 'logit' })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logit, name: 'heart_sound_cnn' });
}

/** Multiply-accumulates of one forward pass for one window, counted over conv and dense layers. */
export function countMultiplyAccumulates(model: tf.LayersModel): number {
  let total = 0;
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className === 'Conv2D') {
      const [, height, width] = layer.outputShape as number[];
      const [kernelHeight, kernelWidth, inChannels, filters] = kernelShapeOf(layer);
      total += height * width * kernelHeight * kernelWidth * inChannels * filters;
    } else if (className === 'Dense') {
      const [inUnits, outUnits] = kernelShapeOf(layer);
      total += inUnits * outUnits;
    }
  }
  return total;
}

function kernelShapeOf(layer: tf.layers.Layer): number[] {
  const kernel = layer.getWeights()[0];
  if (kernel === undefined) throw new Error(`layer ${layer.name} has no kernel`);
  return kernel.shape;
}
