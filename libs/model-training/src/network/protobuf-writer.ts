// Minimal protocol-buffers encoder: just the wire types the ONNX model format needs.
const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

export class ProtobufWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  varint(fieldNumber: number, value: number | bigint): this {
    this.tag(fieldNumber, WIRE_VARINT);
    this.rawVarint(BigInt.asUintN(64, BigInt(value)));
    return this;
  }

  string(fieldNumber: number, value: string): this {
    return this.bytes(fieldNumber, new TextEncoder().encode(value));
  }

  bytes(fieldNumber: number, value: Uint8Array): this {
    this.tag(fieldNumber, WIRE_LENGTH_DELIMITED);
    this.rawVarint(BigInt(value.length));
    this.push(value);
    return this;
  }

  message(fieldNumber: number, writeBody: (body: ProtobufWriter) => void): this {
    const body = new ProtobufWriter();
    writeBody(body);
    return this.bytes(fieldNumber, body.finish());
  }

  float(fieldNumber: number, value: number): this {
    this.tag(fieldNumber, WIRE_FIXED32);
    const buffer = new Uint8Array(4);
    new DataView(buffer.buffer).setFloat32(0, value, true);
    this.push(buffer);
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  private tag(fieldNumber: number, wireType: number): void {
    this.rawVarint(BigInt((fieldNumber << 3) | wireType));
  }

  private rawVarint(value: bigint): void {
    const bytes: number[] = [];
    let rest = value;
    do {
      let byte = Number(rest & 0x7fn);
      rest >>= 7n;
      if (rest !== 0n) byte |= 0x80;
      bytes.push(byte);
    } while (rest !== 0n);
    this.push(Uint8Array.from(bytes));
  }

  private push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }
}
