// The subset of the ONNX ModelProto schema (onnx/onnx.proto, IR version 8) the exporter emits,
// as plain objects, and its protobuf encoding. Field numbers follow onnx.proto.
import { ProtobufWriter } from './protobuf-writer';

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

const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const writer = new ProtobufWriter()
    .varint(1, model.irVersion)
    .string(2, model.producerName)
    .string(3, model.producerVersion)
    .message(7, (graph) => writeGraph(graph, model))
    .message(8, (opset) => opset.string(1, '').varint(2, model.opsetVersion));
  return writer.finish();
}

function writeGraph(graph: ProtobufWriter, model: OnnxModel): void {
  for (const node of model.nodes) graph.message(1, (w) => writeNode(w, node));
  graph.string(2, model.graphName);
  for (const initializer of model.initializers) graph.message(5, (w) => writeTensor(w, initializer));
  if (model.docString !== undefined) graph.string(10, model.docString);
  for (const input of model.inputs) graph.message(11, (w) => writeValueInfo(w, input));
  for (const output of model.outputs) graph.message(12, (w) => writeValueInfo(w, output));
}

function writeNode(w: ProtobufWriter, node: OnnxNode): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name).string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {}))
    w.message(5, (a) => writeAttribute(a, name, value));
  for (const [name, value] of Object.entries(node.floatAttributes ?? {})) {
    w.message(5, (a) => a.string(1, name).float(2, value).varint(20, ATTRIBUTE_TYPE.FLOAT));
  }
}

function writeAttribute(a: ProtobufWriter, name: string, value: OnnxAttributeValue): void {
  a.string(1, name);
  if (typeof value === 'string') {
    a.string(4, value).varint(20, ATTRIBUTE_TYPE.STRING);
  } else if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: use floatAttributes for ${value}`);
    a.varint(3, value).varint(20, ATTRIBUTE_TYPE.INT);
  } else if (Array.isArray(value)) {
    for (const item of value) a.varint(8, item);
    a.varint(20, ATTRIBUTE_TYPE.INTS);
  } else {
    for (const item of value.floats) a.float(7, item);
    a.varint(20, ATTRIBUTE_TYPE.FLOATS);
  }
}

function writeTensor(w: ProtobufWriter, tensor: OnnxInitializer): void {
  for (const dim of tensor.dims) w.varint(1, dim);
  w.varint(2, tensor.dataType).string(8, tensor.name);
  // raw_data is little-endian, which is what typed arrays hold on every platform Node runs on.
  w.bytes(9, new Uint8Array(tensor.values.buffer, tensor.values.byteOffset, tensor.values.byteLength));
}

function writeValueInfo(w: ProtobufWriter, info: OnnxValueInfo): void {
  w.string(1, info.name);
  w.message(2, (type) =>
    type.message(1, (tensorType) =>
      tensorType.varint(1, ONNX_FLOAT).message(2, (shape) => {
        for (const dim of info.shape) {
          shape.message(1, (d) => (typeof dim === 'string' ? d.string(2, dim) : d.varint(1, dim)));
        }
      }),
    ),
  );
}
