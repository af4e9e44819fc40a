// Reads a WAV file's chunk list without touching the samples, so lying sizes, impossible rates and
// over-long recordings are rejected before anything large is allocated.

import { corruptAudio, tooLong, unsupportedFormat } from '../errors';
import { assertSampleRate, type DecodeLimits } from './limits';

export type WavHeader = {
  readonly codec: 'pcm' | 'float' | 'alaw' | 'ulaw';
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
  readonly blockAlign: number;
  readonly dataOffset: number;
  readonly dataBytes: number;
  readonly frames: number;
  readonly durationSec: number;
};

const MAX_CHANNELS = 32;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
const CODECS: Record<number, WavHeader['codec']> = { 1: 'pcm', 3: 'float', 6: 'alaw', 7: 'ulaw' };
const CODEC_BITS: Record<WavHeader['codec'], readonly number[]> = {
  pcm: [8, 16, 24, 32],
  float: [32, 64],
  alaw: [8],
  ulaw: [8],
};
const KNOWN_UNSUPPORTED_CODECS: Record<number, string> = {
  0x02: 'MS ADPCM',
  0x11: 'IMA ADPCM',
  0x31: 'GSM 6.10',
  0x50: 'MPEG',
  0x55: 'MP3',
  0xff: 'AAC',
};
// 0 and 0xFFFFFFFF are what streaming recorders write when they never go back to fix the size.
const PLACEHOLDER_SIZES = new Set([0, 0xffffffff]);

type Format = Omit<WavHeader, 'dataOffset' | 'dataBytes' | 'frames' | 'durationSec'>;

export function parseWavHeader(bytes: Uint8Array, limits: DecodeLimits): WavHeader {
  if (bytes.length < 12)
    throw corruptAudio('wav', `only ${bytes.length} bytes, shorter than the 12-byte RIFF header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let format: Format | undefined;
  let position = 12;
  while (position + 8 <= bytes.length) {
    const id = String.fromCharCode(...bytes.subarray(position, position + 4));
    const size = view.getUint32(position + 4, true);
    const bodyStart = position + 8;
    const remaining = bytes.length - bodyStart;
    if (id === 'data') {
      if (!format) throw corruptAudio('wav', 'the data chunk comes before the fmt chunk');
      let dataBytes = size;
      if (PLACEHOLDER_SIZES.has(size)) dataBytes = remaining;
      else if (size > remaining) {
        throw corruptAudio(
          'wav',
          `the data chunk declares ${size} bytes but only ${remaining} follow (truncated upload?)`,
        );
      }
      const frames = Math.floor(dataBytes / format.blockAlign);
      const durationSec = frames / format.sampleRate;
      if (durationSec > limits.maxDurationSec) throw tooLong(durationSec, limits.maxDurationSec);
      return { ...format, dataOffset: bodyStart, dataBytes, frames, durationSec };
    }
    if (size > remaining) {
      throw corruptAudio(
        'wav',
        `the "${printable(id)}" chunk declares ${size} bytes but only ${remaining} follow`,
      );
    }
    if (id === 'fmt ') format = parseFmtChunk(view, bodyStart, size, limits);
    position = bodyStart + size + (size % 2); // chunks are word-aligned
  }
  if (!format) throw corruptAudio('wav', 'no fmt chunk describing the samples');
  throw corruptAudio('wav', 'no data chunk with samples');
}

function parseFmtChunk(view: DataView, start: number, size: number, limits: DecodeLimits): Format {
  if (size < 16) throw corruptAudio('wav', `the fmt chunk is ${size} bytes, expected at least 16`);
  let formatTag = view.getUint16(start, true);
  const channels = view.getUint16(start + 2, true);
  const sampleRate = view.getUint32(start + 4, true);
  const blockAlign = view.getUint16(start + 12, true);
  const bitsPerSample = view.getUint16(start + 14, true);
  if (formatTag === WAVE_FORMAT_EXTENSIBLE) {
    if (size < 40) throw corruptAudio('wav', 'WAVE_FORMAT_EXTENSIBLE fmt chunk is shorter than 40 bytes');
    formatTag = view.getUint16(start + 24, true); // first two bytes of the SubFormat GUID
  }
  const codec = CODECS[formatTag];
  if (!codec) {
    const name = KNOWN_UNSUPPORTED_CODECS[formatTag] ?? `codec 0x${formatTag.toString(16).padStart(4, '0')}`;
    throw unsupportedFormat(`a WAV file holding ${name} audio`);
  }
  if (channels === 0 || channels > MAX_CHANNELS) {
    throw corruptAudio('wav', `the header declares ${channels} channels; 1 to ${MAX_CHANNELS} are supported`);
  }
  assertSampleRate(sampleRate, limits);
  if (!CODEC_BITS[codec].includes(bitsPerSample)) {
    throw corruptAudio('wav', `${bitsPerSample}-bit ${codec} samples are not a valid WAV encoding`);
  }
  if (blockAlign !== (channels * bitsPerSample) / 8) {
    throw corruptAudio(
      'wav',
      `block align is ${blockAlign} bytes, expected ${(channels * bitsPerSample) / 8} for ${channels} x ${bitsPerSample}-bit`,
    );
  }
  return { codec, channels, sampleRate, bitsPerSample, blockAlign };
}

const printable = (id: string): string => id.replace(/[^\x20-\x7e]/g, '?');

/**
 * A minimal 44-byte header for already-validated samples. The decoder is fed this plus the data
 * chunk, so it never re-reads the original chunk list (whose quirks, such as pad bytes after
 * odd-sized chunks, the npm decoder does not follow).
 */
export function canonicalWavHeader(header: WavHeader): Uint8Array {
  const bytes = new Uint8Array(44);
  const view = new DataView(bytes.buffer);
  const formatTag = { pcm: 1, float: 3, alaw: 6, ulaw: 7 }[header.codec];
  bytes.set([0x52, 0x49, 0x46, 0x46], 0); // RIFF
  view.setUint32(4, 36 + header.dataBytes, true);
  bytes.set([0x57, 0x41, 0x56, 0x45, 0x66, 0x6d, 0x74, 0x20], 8); // WAVEfmt
  view.setUint32(16, 16, true);
  view.setUint16(20, formatTag, true);
  view.setUint16(22, header.channels, true);
  view.setUint32(24, header.sampleRate, true);
  view.setUint32(28, header.sampleRate * header.blockAlign, true);
  view.setUint16(32, header.blockAlign, true);
  view.setUint16(34, header.bitsPerSample, true);
  bytes.set([0x64, 0x61, 0x74, 0x61], 36); // data
  view.setUint32(40, header.dataBytes, true);
  return bytes;
}
