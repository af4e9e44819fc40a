// Metadata tags that taggers wrap around an audio stream (ID3v2 in front; APEv2 and ID3v1 behind),
// found from their own headers so a decoder that wants only its stream's bytes can be given them.

const ID3V2_HEADER_BYTES = 10;
const ID3V1_BYTES = 128;
const APE_FOOTER_BYTES = 32;

const isAscii = (bytes: Uint8Array, offset: number, text: string): boolean =>
  offset >= 0 &&
  offset + text.length <= bytes.length &&
  [...text].every((char, i) => bytes[offset + i] === char.charCodeAt(0));

/**
 * Bytes of the ID3v2 tag that starts `bytes` (header, body and footer), or 0 without a valid tag
 * header. It may exceed bytes.length: the file was cut short, or `bytes` is only the file's head.
 */
export function leadingId3v2Bytes(bytes: Uint8Array): number {
  if (bytes.length < ID3V2_HEADER_BYTES || !isAscii(bytes, 0, 'ID3')) return 0;
  if (bytes[3] === 0xff || bytes[4] === 0xff) return 0;
  // The size is "syncsafe": four 7-bit groups, so a byte with its top bit set is not a tag size.
  if ((bytes[6] | bytes[7] | bytes[8] | bytes[9]) & 0x80) return 0;
  const size = (bytes[6] << 21) | (bytes[7] << 14) | (bytes[8] << 7) | bytes[9];
  const footer = bytes[5] & 0x10 ? ID3V2_HEADER_BYTES : 0;
  return ID3V2_HEADER_BYTES + size + footer;
}

/**
 * `bytes` without the APEv2 and ID3v1 tags at its end (an ID3v1 tag is the last 128 bytes, after an
 * APEv2 tag if both are there), as a view. Anything else after the stream is left for the decoder.
 */
export function withoutTrailingTags(bytes: Uint8Array): Uint8Array {
  let end = bytes.length - apeTagBytesEndingAt(bytes, bytes.length);
  if (end === bytes.length && isAscii(bytes, end - ID3V1_BYTES, 'TAG')) {
    end -= ID3V1_BYTES;
    end -= apeTagBytesEndingAt(bytes, end);
  }
  return end === bytes.length ? bytes : bytes.subarray(0, end);
}

/** Bytes of an APEv2 (or APEv1) tag whose footer ends at `end`, or 0 without a consistent one. */
function apeTagBytesEndingAt(bytes: Uint8Array, end: number): number {
  const footer = end - APE_FOOTER_BYTES;
  if (!isAscii(bytes, footer, 'APETAGEX')) return 0;
  const field = (offset: number): number =>
    (bytes[footer + offset] |
      (bytes[footer + offset + 1] << 8) |
      (bytes[footer + offset + 2] << 16) |
      (bytes[footer + offset + 3] << 24)) >>>
    0;
  const itemsAndFooter = field(12);
  const header = field(20) >>> 31 ? APE_FOOTER_BYTES : 0;
  const total = itemsAndFooter + header;
  return itemsAndFooter >= APE_FOOTER_BYTES && total <= end ? total : 0;
}
