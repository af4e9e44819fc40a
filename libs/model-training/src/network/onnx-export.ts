// Exports the HeartBeat CNN (a chain of the layer types buildHeartSoundCnn uses) to an ONNX model
// for onnxruntime: input `mel` [N, 251, 64, 1] NHWC, outputs `logit` and `probability` [N, 1].
import * as tf from '@tensorflow/tfjs';
import { encodeOnnxModel, ONNX_FLOAT, type OnnxInitializer, type OnnxNode } from './onnx-proto';

export const ONNX_INPUT_NAME = 'mel';
export const ONNX_LOGIT_OUTPUT = 'logit';
export const ONNX_PROBABILITY_OUTPUT = 'probability';
export const ONNX_OPSET = 17;
const ONNX_IR_VERSION = 8;

type LayerConfig = Record<string, unknown>;

/** Feature map as it flows through the graph: tensor name plus static NCHW sizes (batch symbolic). */
interface FeatureMap {
  name: string;
  channels: number;
  height: number;
  width: number;
  flat: boolean;
}

/**
 * Encodes `model` as an ONNX ModelProto (opset 17). Batch norm after a convolution is folded into
 * the convolution's weights; dropout is dropped; a final sigmoid, if the model has one, is split so
 * `logit` is its input and `probability` its output — otherwise `probability` = Sigmoid(logit).
 */
export function exportToOnnx(model: tf.LayersModel): Uint8Array {
  return encodeOnnxModel(new OnnxGraphBuilder(model).build());
}

class OnnxGraphBuilder {
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: OnnxInitializer[] = [];
  private counter = 0;

  constructor(private readonly model: tf.LayersModel) {}

  build() {
    const layers = chainOfLayers(this.model);
    const inputShape = this.model.inputs[0]?.shape;
    if (inputShape === undefined || inputShape.length !== 4)
      throw new Error('ONNX export expects one [N, H, W, C] input');
    const [, height, width, channels] = inputShape as number[];
    const nchw = this.fresh('nchw');
    this.nodes.push({
      opType: 'Transpose',
      name: nchw,
      inputs: [ONNX_INPUT_NAME],
      outputs: [nchw],
      attributes: { perm: [0, 3, 1, 2] },
    });
    let map: FeatureMap = { name: nchw, channels, height, width, flat: false };
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i];
      const next = layers[i + 1];
      if (layer.getClassName() === 'Conv2D' && next?.getClassName() === 'BatchNormalization') {
        map = this.convolution(layer, map, next);
        i++;
      } else {
        map = this.layer(layer, map);
      }
    }
    if (!map.flat || map.channels !== 1) throw new Error('ONNX export expects the model to end in one unit');
    this.nameOutputs(map.name);
    return {
      irVersion: ONNX_IR_VERSION,
      opsetVersion: ONNX_OPSET,
      producerName: '@heartbeat/model',
      producerVersion: '0.1.0',
      graphName: this.model.name,
      docString: 'HeartBeat window classifier; input log-mel window NHWC, output logit of abnormal.',
      nodes: this.nodes,
      initializers: this.initializers,
      inputs: [{ name: ONNX_INPUT_NAME, shape: ['N', height, width, channels] }],
      outputs: [
        { name: ONNX_LOGIT_OUTPUT, shape: ['N', 1] },
        { name: ONNX_PROBABILITY_OUTPUT, shape: ['N', 1] },
      ],
    };
  }

  private layer(layer: tf.layers.Layer, map: FeatureMap): FeatureMap {
    const config = layer.getConfig() as LayerConfig;
    switch (layer.getClassName()) {
      case 'Dropout':
        return map;
      case 'Conv2D':
        return this.convolution(layer, map, undefined);
      case 'BatchNormalization':
        return this.batchNormalization(layer, map);
      case 'ReLU':
        if (config.maxValue != null)
          throw new Error(`ONNX export: ReLU with maxValue (${layer.name}) is not supported`);
        return this.activation('relu', map, layer.name);
      case 'Activation':
        return this.activation(config.activation as string, map, layer.name);
      case 'MaxPooling2D':
        return this.maxPooling(layer, config, map);
      case 'GlobalAveragePooling2D':
        return this.globalAveragePooling(map);
      case 'Dense':
        return this.dense(layer, config, map);
      default:
        throw new Error(`ONNX export: layer ${layer.name} of type ${layer.getClassName()} is not supported`);
    }
  }

  private convolution(
    layer: tf.layers.Layer,
    map: FeatureMap,
    batchNorm: tf.layers.Layer | undefined,
  ): FeatureMap {
    const config = layer.getConfig() as LayerConfig;
    assertChannelsLast(layer, config);
    const dilation = pair(config.dilationRate ?? 1);
    if (dilation[0] !== 1 || dilation[1] !== 1)
      throw new Error(`ONNX export: dilated Conv2D (${layer.name}) is not supported`);
    const [kernel, bias] = layer.getWeights();
    const [kernelHeight, kernelWidth, inChannels, filters] = kernel.shape;
    const strides = pair(config.strides);
    const spatial = paddedGeometry(map, [kernelHeight, kernelWidth], strides, config.padding as string);
    const hwio = kernel.dataSync() as Float32Array;
    const weights = new Float32Array(hwio.length);
    // tfjs stores kernels HWIO; ONNX wants OIHW.
    for (let kh = 0; kh < kernelHeight; kh++)
      for (let kw = 0; kw < kernelWidth; kw++)
        for (let ci = 0; ci < inChannels; ci++)
          for (let co = 0; co < filters; co++)
            weights[((co * inChannels + ci) * kernelHeight + kh) * kernelWidth + kw] =
              hwio[((kh * kernelWidth + kw) * inChannels + ci) * filters + co];
    const biases = bias === undefined ? new Float32Array(filters) : Float32Array.from(bias.dataSync());
    if (batchNorm !== undefined) {
      if (config.activation !== 'linear')
        throw new Error(`ONNX export: cannot fold batch norm after activated ${layer.name}`);
      const { scale, shift } = batchNormAffine(batchNorm, filters);
      const perFilter = inChannels * kernelHeight * kernelWidth;
      for (let co = 0; co < filters; co++) {
        for (let j = 0; j < perFilter; j++) weights[co * perFilter + j] *= scale[co];
        biases[co] = biases[co] * scale[co] + shift[co];
      }
    }
    const weightName = this.initializer(
      `${layer.name}_weight`,
      [filters, inChannels, kernelHeight, kernelWidth],
      weights,
    );
    const biasName = this.initializer(`${layer.name}_bias`, [filters], biases);
    const output = this.fresh(layer.name);
    this.nodes.push({
      opType: 'Conv',
      name: output,
      inputs: [map.name, weightName, biasName],
      outputs: [output],
      attributes: {
        kernel_shape: [kernelHeight, kernelWidth],
        strides,
        pads: spatial.pads,
        dilations: [1, 1],
      },
    });
    const convolved = {
      ...map,
      name: output,
      channels: filters,
      height: spatial.height,
      width: spatial.width,
    };
    return this.activation(config.activation as string, convolved, layer.name);
  }

  private batchNormalization(layer: tf.layers.Layer, map: FeatureMap): FeatureMap {
    const { scale, shift } = batchNormAffine(layer, map.channels);
    const shape = map.flat ? [map.channels] : [map.channels, 1, 1];
    const scaleName = this.initializer(`${layer.name}_scale`, shape, scale);
    const shiftName = this.initializer(`${layer.name}_shift`, shape, shift);
    const scaled = this.fresh(`${layer.name}_scaled`);
    const shifted = this.fresh(layer.name);
    this.nodes.push({ opType: 'Mul', name: scaled, inputs: [map.name, scaleName], outputs: [scaled] });
    this.nodes.push({ opType: 'Add', name: shifted, inputs: [scaled, shiftName], outputs: [shifted] });
    return { ...map, name: shifted };
  }

  private activation(activation: string, map: FeatureMap, layerName: string): FeatureMap {
    const opType = ({ relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh' } as Record<string, string>)[activation];
    if (activation === 'linear') return map;
    if (opType === undefined)
      throw new Error(`ONNX export: activation '${activation}' (${layerName}) is not supported`);
    const output = this.fresh(`${layerName}_${activation}`);
    this.nodes.push({ opType, name: output, inputs: [map.name], outputs: [output] });
    return { ...map, name: output };
  }

  private maxPooling(layer: tf.layers.Layer, config: LayerConfig, map: FeatureMap): FeatureMap {
    assertChannelsLast(layer, config);
    const kernel = pair(config.poolSize);
    const strides = pair(config.strides ?? config.poolSize);
    const spatial = paddedGeometry(map, kernel, strides, config.padding as string);
    const output = this.fresh(layer.name);
    this.nodes.push({
      opType: 'MaxPool',
      name: output,
      inputs: [map.name],
      outputs: [output],
      attributes: { kernel_shape: kernel, strides, pads: spatial.pads },
    });
    return { ...map, name: output, height: spatial.height, width: spatial.width };
  }

  private globalAveragePooling(map: FeatureMap): FeatureMap {
    const pooled = this.fresh('global_pool');
    const flat = this.fresh('global_pool_flat');
    this.nodes.push({ opType: 'GlobalAveragePool', name: pooled, inputs: [map.name], outputs: [pooled] });
    this.nodes.push({
      opType: 'Flatten',
      name: flat,
      inputs: [pooled],
      outputs: [flat],
      attributes: { axis: 1 },
    });
    return { name: flat, channels: map.channels, height: 1, width: 1, flat: true };
  }

  private dense(layer: tf.layers.Layer, config: LayerConfig, map: FeatureMap): FeatureMap {
    if (!map.flat) throw new Error(`ONNX export: Dense ${layer.name} must follow global pooling`);
    const [kernel, bias] = layer.getWeights();
    const [inUnits, outUnits] = kernel.shape;
    const inputs = [
      map.name,
      this.initializer(`${layer.name}_kernel`, [inUnits, outUnits], Float32Array.from(kernel.dataSync())),
    ];
    if (bias !== undefined)
      inputs.push(this.initializer(`${layer.name}_bias`, [outUnits], Float32Array.from(bias.dataSync())));
    const output = this.fresh(layer.name);
    this.nodes.push({ opType: 'Gemm', name: output, inputs, outputs: [output] });
    return this.activation(
      config.activation as string,
      { ...map, name: output, channels: outUnits },
      layer.name,
    );
  }

  /** Renames the final tensor(s) to the public output names. */
  private nameOutputs(finalName: string): void {
    const last = this.nodes[this.nodes.length - 1];
    if (last.opType === 'Sigmoid' && last.outputs[0] === finalName) {
      this.rename(last.inputs[0], ONNX_LOGIT_OUTPUT);
      this.rename(finalName, ONNX_PROBABILITY_OUTPUT);
      return;
    }
    this.rename(finalName, ONNX_LOGIT_OUTPUT);
    this.nodes.push({
      opType: 'Sigmoid',
      name: 'probability',
      inputs: [ONNX_LOGIT_OUTPUT],
      outputs: [ONNX_PROBABILITY_OUTPUT],
    });
  }

  private rename(from: string, to: string): void {
    for (const node of this.nodes) {
      node.inputs = node.inputs.map((n) => (n === from ? to : n));
      node.outputs = node.outputs.map((n) => (n === from ? to : n));
    }
  }

  private initializer(name: string, dims: number[], values: Float32Array): string {
    this.initializers.push({ name, dims, dataType: ONNX_FLOAT, values });
    return name;
  }

  private fresh(base: string): string {
    return `${base}_${this.counter++}`;
  }
}

function chainOfLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const layers = model.layers.filter((layer) => layer.getClassName() !== 'InputLayer');
  if (model.inputs.length !== 1 || model.outputs.length !== 1)
    throw new Error('ONNX export expects one input and one output');
  layers.forEach((layer, i) => {
    const inbound = layer.inboundNodes.flatMap((node) => node.inboundLayers);
    const follows = i === 0 ? inbound[0]?.getClassName() === 'InputLayer' : inbound[0] === layers[i - 1];
    if (inbound.length !== 1 || !follows)
      throw new Error(`ONNX export expects a plain chain of layers; ${layer.name} is not`);
  });
  return layers;
}

function assertChannelsLast(layer: tf.layers.Layer, config: LayerConfig): void {
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') {
    throw new Error(`ONNX export: ${layer.name} must use channelsLast`);
  }
}

function pair(value: unknown): [number, number] {
  if (typeof value === 'number') return [value, value];
  const [a, b] = value as number[];
  return [a, b ?? a];
}

/** Output size and ONNX pads [top, left, bottom, right] reproducing tf's 'same'/'valid' padding. */
function paddedGeometry(
  map: FeatureMap,
  kernel: [number, number],
  strides: [number, number],
  padding: string,
) {
  const along = (size: number, k: number, s: number) => {
    if (padding === 'valid') return { out: Math.floor((size - k) / s) + 1, before: 0, after: 0 };
    if (padding !== 'same') throw new Error(`ONNX export: padding '${padding}' is not supported`);
    const out = Math.ceil(size / s);
    const total = Math.max((out - 1) * s + k - size, 0);
    return { out, before: Math.floor(total / 2), after: total - Math.floor(total / 2) };
  };
  const rows = along(map.height, kernel[0], strides[0]);
  const cols = along(map.width, kernel[1], strides[1]);
  return { height: rows.out, width: cols.out, pads: [rows.before, cols.before, rows.after, cols.after] };
}

/** Inference-time batch norm as y = x * scale + shift per channel. */
function batchNormAffine(
  layer: tf.layers.Layer,
  channels: number,
): { scale: Float32Array; shift: Float32Array } {
  const config = layer.getConfig() as LayerConfig;
  const axis = config.axis as number;
  if (axis !== -1 && axis !== 3 && axis !== 1)
    throw new Error(`ONNX export: batch norm axis ${axis} (${layer.name}) is not supported`);
  const weights = [...layer.getWeights()];
  const gamma = config.scale ? weights.shift()!.dataSync() : new Float32Array(channels).fill(1);
  const beta = config.center ? weights.shift()!.dataSync() : new Float32Array(channels);
  const mean = weights.shift()!.dataSync();
  const variance = weights.shift()!.dataSync();
  const epsilon = config.epsilon as number;
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = gamma[c] / Math.sqrt(variance[c] + epsilon);
    shift[c] = beta[c] - mean[c] * scale[c];
  }
  return { scale, shift };
}
