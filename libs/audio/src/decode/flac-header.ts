// Reads FLAC's STREAMINFO block so impossible rates and over-long recordings are rejected before
// the decoder allocates their samples.

import { corruptAudio, tooLong } from '../errors';
import { assertSampleRate, type DecodeLimits } from './limits';

export type FlacStreamInfo = {
  readonly sampleRate: number;
  readonly channels: number;
  readonly bitsPerSample: number;
  /** 0 when the encoder did not know the length (streamed encodes). */
  readonly totalFrames: number;
};

const STREAMINFO_BYTES = 34;

export function parseFlacStreamInfo(bytes: Uint8Array, limits: DecodeLimits): FlacStreamInfo {
  if (bytes.length < 8 + STREAMINFO_BYTES)
    throw corruptAudio('flac', `only ${bytes.length} bytes, too short for the STREAMINFO header`);
  const blockType = bytes[4] & 0x7f;
  const blockLength = (bytes[5] << 16) | (bytes[6] << 8) | bytes[7];
  if (blockType !== 0 || blockLength !== STREAMINFO_BYTES) {
    throw corruptAudio('flac', 'the first metadata block is not a valid STREAMINFO');
  }
  const info = bytes.subarray(8, 8 + STREAMINFO_BYTES);
  const sampleRate = (info[10] << 12) | (info[11] << 4) | (info[12] >> 4);
  const channels = ((info[12] >> 1) & 0x07) + 1;
  const bitsPerSample = (((info[12] & 0x01) << 4) | (info[13] >> 4)) + 1;
  const totalFrames =
    (info[13] & 0x0f) * 2 ** 32 + ((info[14] << 24) >>> 0) + (info[15] << 16) + (info[16] << 8) + info[17];
  assertSampleRate(sampleRate, limits);
  if (bitsPerSample < 4) throw corruptAudio('flac', `${bitsPerSample}-bit samples are not valid FLAC`);
  const durationSec = totalFrames / sampleRate;
  if (durationSec > limits.maxDurationSec) throw tooLong(durationSec, limits.maxDurationSec);
  return { sampleRate, channels, bitsPerSample, totalFrames };
}
