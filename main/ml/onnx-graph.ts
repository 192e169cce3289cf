// A writer for small ONNX models built in code (the similarity + top-k graph of the k-NN), so they
// need no model file and no Python toolchain (and for the tiny models of the tests). It encodes just the
// parts of onnx.proto such graphs use: ModelProto, GraphProto, NodeProto with integer(-list) attributes, and typed inputs and outputs with
// symbolic or fixed dimensions. Field numbers are onnx.proto's.

export type OnnxElementType = 'float32' | 'int64';

export interface GraphValue {
  name: string;
  type: OnnxElementType;
  /** A number for a fixed dimension, a string for a symbolic one. */
  shape: ReadonlyArray<number | string>;
}

export interface GraphNode {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  /** Integer (transB, axis, ...) and integer-list (axes, ...) attributes. */
  attributes?: Readonly<Record<string, number | readonly number[]>>;
}

/** A constant float32 tensor of the graph (weights). */
export interface GraphInitializer {
  name: string;
  dims: readonly number[];
  data: Float32Array;
}

export interface GraphSpec {
  name: string;
  /** Default 8. */
  irVersion?: number;
  /** Default-domain opset the nodes are written against. */
  opset: number;
  inputs: readonly GraphValue[];
  outputs: readonly GraphValue[];
  nodes: readonly GraphNode[];
  initializers?: readonly GraphInitializer[];
}

const IR_VERSION = 8;
const ELEMENT_TYPE: Record<OnnxElementType, number> = { float32: 1, int64: 7 };
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;

/** The serialised ModelProto, ready for InferenceSession.create(bytes). */
export function encodeOnnxModel(spec: GraphSpec): Uint8Array {
  const graph = new ProtoWriter();
  spec.nodes.forEach((node, i) => graph.message(1, encodeNode(node, `${node.opType.toLowerCase()}_${i}`)));
  graph.string(2, spec.name);
  for (const init of spec.initializers ?? []) graph.message(5, encodeInitializer(init));
  for (const input of spec.inputs) graph.message(11, encodeValueInfo(input));
  for (const output of spec.outputs) graph.message(12, encodeValueInfo(output));

  const opset = new ProtoWriter();
  opset.string(1, '');
  opset.varint(2, spec.opset);

  const model = new ProtoWriter();
  model.varint(1, spec.irVersion ?? IR_VERSION);
  model.string(2, 'spice-workbench');
  model.message(7, graph.bytes());
  model.message(8, opset.bytes());
  return model.bytes();
}

function encodeNode(node: GraphNode, name: string): Uint8Array {
  const w = new ProtoWriter();
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, name);
  w.string(4, node.opType);
  for (const [key, value] of Object.entries(node.attributes ?? {})) {
    const attribute = new ProtoWriter();
    attribute.string(1, key);
    if (typeof value === 'number') {
      attribute.varint(3, value);
      attribute.varint(20, ATTRIBUTE_INT);
    } else {
      for (const v of value) attribute.varint(8, v);
      attribute.varint(20, ATTRIBUTE_INTS);
    }
    w.message(5, attribute.bytes());
  }
  return w.bytes();
}

function encodeInitializer(init: GraphInitializer): Uint8Array {
  const count = init.dims.reduce((a, b) => a * b, 1);
  if (init.data.length !== count) throw new Error(`initializer ${init.name} has ${init.data.length} values for dims ${init.dims.join('x')}`);
  const w = new ProtoWriter();
  for (const d of init.dims) w.varint(1, d);
  w.varint(2, ELEMENT_TYPE.float32);
  w.string(8, init.name);
  // raw_data is little-endian, as typed arrays are on every platform Node runs on here.
  w.message(9, new Uint8Array(init.data.buffer, init.data.byteOffset, init.data.byteLength));
  return w.bytes();
}

function encodeValueInfo(value: GraphValue): Uint8Array {
  const shape = new ProtoWriter();
  for (const dim of value.shape) {
    const d = new ProtoWriter();
    if (typeof dim === 'number') d.varint(1, dim);
    else d.string(2, dim);
    shape.message(1, d.bytes());
  }
  const tensorType = new ProtoWriter();
  tensorType.varint(1, ELEMENT_TYPE[value.type]);
  tensorType.message(2, shape.bytes());
  const type = new ProtoWriter();
  type.message(1, tensorType.bytes());
  const info = new ProtoWriter();
  info.string(1, value.name);
  info.message(2, type.bytes());
  return info.bytes();
}

/** Protocol-buffer wire format: varints (type 0) and length-delimited fields (type 2). */
class ProtoWriter {
  private readonly chunks: number[] = [];

  /** An int64/int32 field; a negative value is written as its 64-bit two's complement (10 bytes). */
  varint(field: number, value: number): void {
    if (!Number.isSafeInteger(value)) throw new Error(`protobuf varint must be a safe integer, got ${value}`);
    this.key(field, 0);
    this.rawVarint(BigInt.asUintN(64, BigInt(value)));
  }

  string(field: number, value: string): void {
    this.message(field, new TextEncoder().encode(value));
  }

  message(field: number, bytes: Uint8Array): void {
    this.key(field, 2);
    this.rawVarint(BigInt(bytes.length));
    for (const b of bytes) this.chunks.push(b);
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }

  private key(field: number, wireType: number): void {
    this.rawVarint(BigInt(field * 8 + wireType));
  }

  private rawVarint(value: bigint): void {
    let v = value;
    while (v >= 0x80n) {
      this.chunks.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.chunks.push(Number(v));
  }
}
