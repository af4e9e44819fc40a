// Builds native FLAC files bit by bit with the subframe types, residual codings and stereo modes a
// test asks for (encoders pick their own, and some, such as escaped partitions, hardly ever), so the
// decoder tests can cover each one against libFLAC.

export type ResidualCoding = {
  /** 0: 4-bit Rice parameters; 1: 5-bit (Rice2). */
  readonly method?: 0 | 1;
  readonly partitionOrder?: number;
  /** Writes every partition as raw values of this many bits (the escape code) instead of Rice codes. */
  readonly escapeBits?: number;
};

export type SubframeSpec =
  | { readonly type: 'constant'; readonly wastedBits?: number }
  | { readonly type: 'verbatim'; readonly wastedBits?: number }
  | {
      readonly type: 'fixed';
      readonly order: 0 | 1 | 2 | 3 | 4;
      readonly residual?: ResidualCoding;
      readonly wastedBits?: number;
    }
  | {
      readonly type: 'lpc';
      /** Quantised coefficients, most recent sample first. */
      readonly coefficients: readonly number[];
      readonly precision: number;
      readonly shift: number;
      readonly residual?: ResidualCoding;
      readonly wastedBits?: number;
    };

export type StereoMode = 'independent' | 'left-side' | 'right-side' | 'mid-side';

export type FlacSpec = {
  readonly sampleRate: number;
  readonly bitsPerSample: number;
  /** Integer samples per channel, in range for bitsPerSample. */
  readonly channels: readonly Int32Array[];
  readonly blockSizes: readonly number[];
  readonly variableBlocking?: boolean;
  /** The stereo mode of each frame (two channels only); independent by default. */
  readonly stereo?: (frame: number) => StereoMode;
  /** The subframe of each frame and channel (after stereo decorrelation). */
  readonly subframe: (frame: number, channel: number) => SubframeSpec;
  /** Frame headers point at STREAMINFO for the sample rate and sample size instead of giving them. */
  readonly formatFromStreamInfo?: boolean;
  /** A metadata block between STREAMINFO and the frames. */
  readonly padding?: number;
};

class BitWriter {
  private readonly bytes: number[] = [];
  private current = 0;
  private used = 0;

  write(value: number | bigint, bits: number): void {
    const big = BigInt.asUintN(bits, BigInt(value));
    for (let bit = bits - 1; bit >= 0; bit--) {
      this.current = (this.current << 1) | Number((big >> BigInt(bit)) & 1n);
      if (++this.used === 8) {
        this.bytes.push(this.current);
        this.current = 0;
        this.used = 0;
      }
    }
  }

  unary(zeros: number): void {
    for (let i = 0; i < zeros; i++) this.write(0, 1);
    this.write(1, 1);
  }

  alignToByte(): void {
    while (this.used !== 0) this.write(0, 1);
  }

  get length(): number {
    return this.bytes.length;
  }

  get output(): number[] {
    return this.bytes;
  }
}

export function buildFlac(spec: FlacSpec): Uint8Array {
  const { sampleRate, bitsPerSample, channels } = spec;
  const total = channels[0].length;
  if (spec.blockSizes.reduce((sum, size) => sum + size, 0) !== total)
    throw new Error('block sizes must add up to the samples per channel');
  const out: number[] = [...'fLaC'].map((c) => c.charCodeAt(0));
  const info = new BitWriter();
  info.write(Math.min(...spec.blockSizes), 16);
  info.write(Math.max(...spec.blockSizes), 16);
  info.write(0, 24);
  info.write(0, 24);
  info.write(sampleRate, 20);
  info.write(channels.length - 1, 3);
  info.write(bitsPerSample - 1, 5);
  info.write(BigInt(total), 36);
  info.write(0, 64);
  info.write(0, 64);
  out.push(spec.padding === undefined ? 0x80 : 0x00, 0, 0, 34, ...info.output);
  if (spec.padding !== undefined)
    out.push(
      0x81,
      (spec.padding >> 16) & 0xff,
      (spec.padding >> 8) & 0xff,
      spec.padding & 0xff,
      ...new Array<number>(spec.padding).fill(0),
    );
  let start = 0;
  spec.blockSizes.forEach((blockSize, frame) => {
    out.push(...buildFrame(spec, frame, start, blockSize));
    start += blockSize;
  });
  return Uint8Array.from(out);
}

const RATE_CODE: Record<number, number> = {
  8000: 4,
  16_000: 5,
  22_050: 6,
  24_000: 7,
  32_000: 8,
  44_100: 9,
  48_000: 10,
};
const BITS_PER_SAMPLE_CODE: Record<number, number> = { 8: 1, 12: 2, 16: 4, 20: 5, 24: 6 };

function buildFrame(spec: FlacSpec, frame: number, start: number, blockSize: number): number[] {
  const mode = spec.channels.length === 2 ? (spec.stereo?.(frame) ?? 'independent') : 'independent';
  const w = new BitWriter();
  w.write(0xfff8 | (spec.variableBlocking ? 1 : 0), 16);
  w.write(7, 4); // block size - 1 in 16 bits after the coded number
  const rateCode = spec.formatFromStreamInfo
    ? 0
    : (RATE_CODE[spec.sampleRate] ??
      (spec.sampleRate % 1000 === 0 && spec.sampleRate / 1000 < 256
        ? 12
        : spec.sampleRate < 65_536
          ? 13
          : 14));
  w.write(rateCode, 4);
  const assignment = {
    independent: spec.channels.length - 1,
    'left-side': 8,
    'right-side': 9,
    'mid-side': 10,
  }[mode];
  w.write(assignment, 4);
  w.write(spec.formatFromStreamInfo ? 0 : (BITS_PER_SAMPLE_CODE[spec.bitsPerSample] ?? 0), 3);
  w.write(0, 1);
  for (const byte of codedNumber(spec.variableBlocking ? start : frame)) w.write(byte, 8);
  w.write(blockSize - 1, 16);
  if (rateCode === 12) w.write(spec.sampleRate / 1000, 8);
  if (rateCode === 13) w.write(spec.sampleRate, 16);
  if (rateCode === 14) w.write(spec.sampleRate / 10, 16);
  w.write(crc8(w.output), 8);

  const block = spec.channels.map((channel) => channel.subarray(start, start + blockSize));
  const [left, right] = block;
  const side = () => left.map((l, i) => l - right[i]);
  const decorrelated: { samples: Int32Array; bits: number }[] =
    mode === 'left-side'
      ? [
          { samples: left, bits: spec.bitsPerSample },
          { samples: side(), bits: spec.bitsPerSample + 1 },
        ]
      : mode === 'right-side'
        ? [
            { samples: side(), bits: spec.bitsPerSample + 1 },
            { samples: right, bits: spec.bitsPerSample },
          ]
        : mode === 'mid-side'
          ? [
              { samples: left.map((l, i) => (l + right[i]) >> 1), bits: spec.bitsPerSample },
              { samples: side(), bits: spec.bitsPerSample + 1 },
            ]
          : block.map((samples) => ({ samples, bits: spec.bitsPerSample }));
  decorrelated.forEach(({ samples, bits }, channel) =>
    writeSubframe(w, spec.subframe(frame, channel), samples, bits),
  );
  w.alignToByte();
  w.write(crc16(w.output), 16);
  return w.output;
}

function writeSubframe(w: BitWriter, subframe: SubframeSpec, input: Int32Array, bitsPerSample: number): void {
  const wasted = subframe.wastedBits ?? 0;
  const samples = input.map((value) => value >> wasted);
  if (samples.some((value, i) => value * 2 ** wasted !== input[i]))
    throw new Error(`samples are not multiples of 2^${wasted}`);
  const bits = bitsPerSample - wasted;
  const typeCode =
    subframe.type === 'constant'
      ? 0
      : subframe.type === 'verbatim'
        ? 1
        : subframe.type === 'fixed'
          ? 8 + subframe.order
          : 31 + subframe.coefficients.length;
  w.write(typeCode, 7); // a zero bit, then the 6-bit type
  if (wasted > 0) {
    w.write(1, 1);
    w.unary(wasted - 1);
  } else {
    w.write(0, 1);
  }
  if (subframe.type === 'constant') {
    if (samples.some((value) => value !== samples[0]))
      throw new Error('a constant subframe needs equal samples');
    w.write(samples[0], bits);
    return;
  }
  if (subframe.type === 'verbatim') {
    for (const value of samples) w.write(value, bits);
    return;
  }
  const order = subframe.type === 'fixed' ? subframe.order : subframe.coefficients.length;
  for (let i = 0; i < order; i++) w.write(samples[i], bits);
  const residual = new Array<number>(samples.length - order);
  if (subframe.type === 'fixed') {
    const s = (i: number) => samples[i];
    const predictions = [
      () => 0,
      (i: number) => s(i - 1),
      (i: number) => 2 * s(i - 1) - s(i - 2),
      (i: number) => 3 * s(i - 1) - 3 * s(i - 2) + s(i - 3),
      (i: number) => 4 * s(i - 1) - 6 * s(i - 2) + 4 * s(i - 3) - s(i - 4),
    ];
    for (let i = order; i < samples.length; i++) residual[i - order] = samples[i] - predictions[order](i);
  } else {
    const { coefficients, precision, shift } = subframe;
    w.write(precision - 1, 4);
    w.write(shift, 5);
    for (const coefficient of coefficients) w.write(coefficient, precision);
    for (let i = order; i < samples.length; i++) {
      let sum = 0n;
      coefficients.forEach((c, j) => (sum += BigInt(c) * BigInt(samples[i - 1 - j])));
      residual[i - order] = samples[i] - Number(sum >> BigInt(shift));
    }
  }
  writeResidual(w, residual, samples.length, order, subframe.residual ?? {});
}

function writeResidual(
  w: BitWriter,
  residual: number[],
  blockSize: number,
  order: number,
  coding: ResidualCoding,
): void {
  const method = coding.method ?? 0;
  const partitionOrder = coding.partitionOrder ?? 0;
  w.write(method, 2);
  w.write(partitionOrder, 4);
  const partitionSamples = blockSize >> partitionOrder;
  let index = 0;
  for (let partition = 0; partition < 1 << partitionOrder; partition++) {
    const count = partitionSamples - (partition === 0 ? order : 0);
    const values = residual.slice(index, index + count);
    index += count;
    if (coding.escapeBits !== undefined) {
      w.write(method === 0 ? 15 : 31, method === 0 ? 4 : 5);
      w.write(coding.escapeBits, 5);
      if (coding.escapeBits > 0) for (const value of values) w.write(value, coding.escapeBits);
      continue;
    }
    const folded = values.map((value) => (value >= 0 ? 2 * value : -2 * value - 1));
    const mean = folded.reduce((sum, value) => sum + value, 0) / Math.max(1, folded.length);
    const parameter = Math.min(method === 0 ? 14 : 30, Math.max(0, Math.floor(Math.log2(mean + 1))));
    w.write(parameter, method === 0 ? 4 : 5);
    for (const value of folded) {
      w.unary(Math.floor(value / 2 ** parameter));
      w.write(value % 2 ** parameter, parameter);
    }
  }
}

function codedNumber(value: number): number[] {
  if (value < 0x80) return [value];
  const bytes: number[] = [];
  let rest = value;
  let capacity = 6; // payload bits of the lead byte shrink as continuation bytes are added
  while (rest >= 2 ** capacity) {
    bytes.unshift(0x80 | (rest & 0x3f));
    rest = Math.floor(rest / 64);
    capacity--;
  }
  const lead = (0xff << (7 - bytes.length)) & 0xff;
  return [lead | rest, ...bytes];
}

function crc8(bytes: readonly number[]): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

function crc16(bytes: readonly number[]): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}
