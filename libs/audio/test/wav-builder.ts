// Builds WAV files byte by byte, including deliberately broken ones, for decoder tests.

export type WavSpec = {
  readonly formatTag?: number;
  readonly channels?: number;
  readonly sampleRate?: number;
  readonly bitsPerSample?: number;
  readonly blockAlign?: number;
  readonly data: Uint8Array;
  /** Written in the data chunk's size field instead of data.length. */
  readonly declaredDataSize?: number;
  readonly declaredFmtSize?: number;
  readonly chunksBeforeData?: readonly { id: string; body: Uint8Array }[];
  readonly dataBeforeFmt?: boolean;
};

export function buildWav(spec: WavSpec): Uint8Array {
  const { formatTag = 1, channels = 1, sampleRate = 2000, bitsPerSample = 16, data } = spec;
  const fmt = new Uint8Array(16);
  const fmtView = new DataView(fmt.buffer);
  fmtView.setUint16(0, formatTag, true);
  fmtView.setUint16(2, channels, true);
  fmtView.setUint32(4, sampleRate, true);
  fmtView.setUint32(8, (sampleRate * channels * bitsPerSample) / 8, true);
  fmtView.setUint16(12, spec.blockAlign ?? (channels * bitsPerSample) / 8, true);
  fmtView.setUint16(14, bitsPerSample, true);
  const chunk = (id: string, body: Uint8Array, declared = body.length): Uint8Array => {
    const out = new Uint8Array(8 + body.length + (body.length % 2));
    out.set(new TextEncoder().encode(id), 0);
    new DataView(out.buffer).setUint32(4, declared, true);
    out.set(body, 8);
    return out;
  };
  const fmtChunk = chunk('fmt ', fmt, spec.declaredFmtSize);
  const dataChunk = chunk('data', data, spec.declaredDataSize);
  const extra = (spec.chunksBeforeData ?? []).map(({ id, body }) => chunk(id, body));
  const parts = spec.dataBeforeFmt ? [dataChunk, fmtChunk] : [fmtChunk, ...extra, dataChunk];
  const bodyLength = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(12 + bodyLength);
  out.set(new TextEncoder().encode('RIFF'), 0);
  new DataView(out.buffer).setUint32(4, 4 + bodyLength, true);
  out.set(new TextEncoder().encode('WAVE'), 8);
  let offset = 12;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function int16Samples(values: ArrayLike<number>): Uint8Array {
  const out = new Int16Array(values.length);
  for (let i = 0; i < values.length; i++)
    out[i] = Math.max(-32768, Math.min(32767, Math.round(values[i] * 32767)));
  return new Uint8Array(out.buffer);
}

export function float32Samples(values: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** Deterministic pseudo-random bytes. */
export function pseudoRandomBytes(length: number, seed = 42): Uint8Array {
  let state = seed >>> 0;
  return Uint8Array.from({ length }, () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state >>> 24;
  });
}

/** The parts one after the other, in a new array. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** The UTF-8 bytes of `value` (chunk ids, tag markers). */
export const text = (value: string): Uint8Array => new TextEncoder().encode(value);
