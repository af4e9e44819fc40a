// Finds native FLAC frame headers and the samples each announces, without decoding, so a stream is
// handed to the decoder in pieces that decode to a bounded number of samples whatever its ratio
// (two hours of silence fit in a megabyte, and the decoder would allocate all of it in one call).

export type FlacFrameHeader = {
  /** Byte offset of the frame's sync code. */
  readonly offset: number;
  /** Samples per channel the header announces (its block size). */
  readonly samples: number;
};

/** The largest block size a FLAC frame header can announce. */
export const MAX_FLAC_BLOCK_SAMPLES = 65_536;

/**
 * Every position after the metadata blocks where a frame header with a valid CRC-8 starts. The
 * decoder only accepts frames at such positions, so their block sizes bound what it can produce; a
 * chance match inside frame data only over-counts, which errs on the safe side.
 */
export function* flacFrameHeaders(bytes: Uint8Array): Generator<FlacFrameHeader> {
  for (let offset = firstFrameOffset(bytes); offset + 5 < bytes.length; offset++) {
    if (bytes[offset] !== 0xff || (bytes[offset + 1] & 0xfe) !== 0xf8) continue;
    const samples = frameHeaderSamples(bytes, offset);
    if (samples > 0) yield { offset, samples };
  }
}

/** Samples per channel that the frame headers of a whole stream add up to. */
export function flacHeaderSampleCount(bytes: Uint8Array): number {
  // flacFrameHeaders' scan without the generator: every file is scanned once, byte by byte.
  let total = 0;
  for (let offset = firstFrameOffset(bytes); offset + 5 < bytes.length; offset++) {
    if (bytes[offset] !== 0xff || (bytes[offset + 1] & 0xfe) !== 0xf8) continue;
    total += frameHeaderSamples(bytes, offset);
  }
  return total;
}

/**
 * Cuts a native FLAC stream into consecutive pieces, each at most `maxBytes` long and, by its frame
 * headers, holding at most `maxSamples` samples per channel (or a single frame, if one is larger).
 * The pieces join back into exactly `bytes`; cuts fall on frame starts where the sample budget ends.
 */
export function* flacPieces(bytes: Uint8Array, maxSamples: number, maxBytes: number): Generator<Uint8Array> {
  let start = 0;
  let samples = 0;
  for (const header of flacFrameHeaders(bytes)) {
    while (header.offset - start > maxBytes) {
      yield bytes.subarray(start, start + maxBytes);
      start += maxBytes;
      samples = 0;
    }
    if (samples > 0 && samples + header.samples > maxSamples && header.offset > start) {
      yield bytes.subarray(start, header.offset);
      start = header.offset;
      samples = 0;
    }
    samples += header.samples;
  }
  for (; start < bytes.length; start += maxBytes) yield bytes.subarray(start, start + maxBytes);
}

function firstFrameOffset(bytes: Uint8Array): number {
  if (!(bytes[0] === 0x66 && bytes[1] === 0x4c && bytes[2] === 0x61 && bytes[3] === 0x43)) return 0;
  let offset = 4;
  while (offset + 4 <= bytes.length) {
    const last = bytes[offset] & 0x80;
    offset += 4 + ((bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]);
    if (last) return Math.min(offset, bytes.length);
  }
  return 4; // metadata cut short: scan what there is
}

/** The block size of a frame header at `offset`, or 0 if the bytes there are not a valid header. */
function frameHeaderSamples(bytes: Uint8Array, offset: number): number {
  const blockSizeCode = bytes[offset + 2] >> 4;
  const sampleRateCode = bytes[offset + 2] & 0x0f;
  if (blockSizeCode === 0 || sampleRateCode === 0x0f) return 0;
  if (bytes[offset + 3] >> 4 > 10 || bytes[offset + 3] & 0x01) return 0; // reserved channel code or bit
  const lead = bytes[offset + 4];
  const numberBytes =
    lead < 0x80
      ? 0
      : lead < 0xe0
        ? 1
        : lead < 0xf0
          ? 2
          : lead < 0xf8
            ? 3
            : lead < 0xfc
              ? 4
              : lead < 0xfe
                ? 5
                : 6;
  const blockSizeAt = offset + 5 + numberBytes;
  const crcAt =
    blockSizeAt +
    (blockSizeCode === 6 ? 1 : blockSizeCode === 7 ? 2 : 0) +
    (sampleRateCode === 12 ? 1 : sampleRateCode === 13 || sampleRateCode === 14 ? 2 : 0);
  if (crcAt >= bytes.length || crc8(bytes, offset, crcAt) !== bytes[crcAt]) return 0;
  if (blockSizeCode === 1) return 192;
  if (blockSizeCode <= 5) return 576 << (blockSizeCode - 2);
  if (blockSizeCode === 6) return bytes[blockSizeAt] + 1;
  if (blockSizeCode === 7) return ((bytes[blockSizeAt] << 8) | bytes[blockSizeAt + 1]) + 1;
  return 256 << (blockSizeCode - 8);
}

function crc8(bytes: Uint8Array, from: number, to: number): number {
  let crc = 0;
  for (let i = from; i < to; i++) {
    crc ^= bytes[i];
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}
