// The subset of the ONNX ModelProto schema (onnx/onnx.proto, IR version 8) the exporter emits, as
// plain objects, and its encoding through the onnx-proto package (onnx.proto's classes generated
// for protobufjs) instead of a hand-written protobuf writer and field table.
import { onnx } from 'onnx-proto';

export const ONNX_FLOAT = 1;

export type OnnxAttributeValue = number | number[] | string | { floats: number[] };

export interface OnnxNode {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  /** Integers become INT, arrays of integers INTS, {floats} FLOATS, strings STRING. */
  attributes?: Record<string, OnnxAttributeValue>;
  /** Attributes that are floats even when their value happens to be integral (e.g. epsilon). */
  floatAttributes?: Record<string, number>;
}

export interface OnnxInitializer {
  name: string;
  dims: number[];
  dataType: typeof ONNX_FLOAT;
  values: Float32Array;
}

export interface OnnxValueInfo {
  name: string;
  /** A string is a symbolic dimension (e.g. 'N' for the batch). */
  shape: (number | string)[];
}

export interface OnnxModel {
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  graphName: string;
  docString?: string;
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

const { AttributeType } = onnx.AttributeProto;

export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const proto = onnx.ModelProto.create({
    irVersion: model.irVersion,
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    graph: {
      node: model.nodes.map(nodeProto),
      name: model.graphName,
      initializer: model.initializers.map(tensorProto),
      ...(model.docString === undefined ? {} : { docString: model.docString }),
      input: model.inputs.map(valueInfoProto),
      output: model.outputs.map(valueInfoProto),
    },
    opsetImport: [{ domain: '', version: model.opsetVersion }],
  });
  return onnx.ModelProto.encode(proto).finish();
}

function nodeProto(node: OnnxNode): onnx.INodeProto {
  return {
    input: node.inputs,
    output: node.outputs,
    name: node.name,
    opType: node.opType,
    attribute: [
      ...Object.entries(node.attributes ?? {}).map(([name, value]) => attributeProto(name, value)),
      ...Object.entries(node.floatAttributes ?? {}).map(([name, f]) => ({
        name,
        f,
        type: AttributeType.FLOAT,
      })),
    ],
  };
}

function attributeProto(name: string, value: OnnxAttributeValue): onnx.IAttributeProto {
  if (typeof value === 'string') return { name, s: Buffer.from(value, 'utf8'), type: AttributeType.STRING };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: use floatAttributes for ${value}`);
    return { name, i: value, type: AttributeType.INT };
  }
  if (Array.isArray(value)) return { name, ints: value, type: AttributeType.INTS };
  return { name, floats: value.floats, type: AttributeType.FLOATS };
}

function tensorProto(tensor: OnnxInitializer): onnx.ITensorProto {
  return {
    dims: tensor.dims,
    dataType: tensor.dataType,
    name: tensor.name,
    // raw_data is little-endian, which is what typed arrays hold on every platform Node runs on.
    rawData: new Uint8Array(tensor.values.buffer, tensor.values.byteOffset, tensor.values.byteLength),
  };
}

function valueInfoProto(info: OnnxValueInfo): onnx.IValueInfoProto {
  return {
    name: info.name,
    type: {
      tensorType: {
        elemType: ONNX_FLOAT,
        shape: {
          dim: info.shape.map((dim) => (typeof dim === 'string' ? { dimParam: dim } : { dimValue: dim })),
        },
      },
    },
  };
}
