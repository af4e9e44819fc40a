// The one entry point that turns uploaded bytes into mono float samples, or a typed AudioError.

import {
  AudioError,
  corruptAudio,
  emptyFile,
  fileTooLarge,
  invalidSamples,
  silent,
  tooLong,
  tooShort,
  unsupportedFormat,
} from '../errors';
import { leadingId3v2Bytes, withoutTrailingTags } from './audio-tags';
import { decodeToMono, type MonoPcm } from './codec-stream';
import { detectFormat, type AudioFormat } from './detect-format';
import { parseFlacStreamInfo } from './flac-header';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './limits';
import { canonicalWavHeader, parseWavHeader } from './wav-header';
import { parseWfdbHeader, pickHeartSoundSignal, readWfdbSignal } from './wfdb';

export type DecodedAudio = {
  /** Mono samples in [-1, 1]: the average of all channels (for WFDB, the heart-sound signal). */
  readonly samples: Float32Array;
  readonly sampleRate: number;
  /** Channels (WFDB: signals) in the source file. */
  readonly channels: number;
  readonly format: AudioFormat;
  readonly durationSec: number;
};

export type DecodeOptions = Partial<DecodeLimits> & {
  /** The WFDB signal file (.dat) when `bytes` is a WFDB header (.hea). */
  readonly wfdbSignalFile?: Uint8Array;
};

// -90 dBFS: below one 16-bit step, so only digital silence or dither counts as silent.
const SILENCE_PEAK = 10 ** (-90 / 20);

export async function decodeAudio(input: Uint8Array, options: DecodeOptions = {}): Promise<DecodedAudio> {
  const bytes = plainBytes(input);
  const limits = { ...DEFAULT_DECODE_LIMITS, ...options };
  if (bytes.length === 0) throw emptyFile();
  if (bytes.length > limits.maxBytes) throw fileTooLarge(bytes.length, limits.maxBytes);
  const detected = detectFormat(bytes);
  if (!detected.supported) throw unsupportedFormat(detected.description);
  if (detected.format === 'wfdb') {
    if (!options.wfdbSignalFile) {
      throw unsupportedFormat(
        'a WFDB header (.hea) without its signal file; upload the .hea and .dat files together',
      );
    }
    return decodeWfdbRecord(new TextDecoder().decode(bytes), options.wfdbSignalFile, options);
  }
  const format = detected.format;
  const tagBytes = leadingId3v2Bytes(bytes);
  if (tagBytes > bytes.length) {
    throw corruptAudio(
      format,
      `its ID3 tag announces ${tagBytes} bytes but the file has only ${bytes.length}, so no audio follows the tag (truncated upload?)`,
    );
  }
  const stream = bytes.subarray(detected.streamOffset ?? 0);
  const nativeFlac = format === 'flac' && stream[0] === 0x66;
  try {
    let expectedFrames = 0;
    let flacBitsPerSample = 0;
    // Our FLAC decoder declines bytes after the last frame, and the old path then loses that frame.
    let encoded: Uint8Array | Uint8Array[] = nativeFlac ? withoutTrailingTags(stream) : stream;
    if (format === 'wav') {
      const header = parseWavHeader(bytes, limits);
      if (header.frames === 0) throw tooShort(0, limits.minDurationSec);
      expectedFrames = header.frames;
      const dataBytes = header.frames * header.blockAlign;
      encoded = [
        canonicalWavHeader({ ...header, dataBytes }),
        bytes.subarray(header.dataOffset, header.dataOffset + dataBytes),
      ];
    }
    if (nativeFlac) {
      const streamInfo = parseFlacStreamInfo(stream, limits); // native FLAC, not Ogg FLAC
      expectedFrames = streamInfo.totalFrames;
      flacBitsPerSample = streamInfo.bitsPerSample;
    }
    const pcm = await decodeToMono(encoded, format, limits, expectedFrames, flacBitsPerSample);
    if (expectedFrames > 0 && pcm.samples.length < expectedFrames) {
      throw corruptAudio(
        format,
        `only ${pcm.samples.length} of the ${expectedFrames} samples announced by the header could be decoded (truncated upload?)`,
      );
    }
    return checkDecoded(pcm, format, limits);
  } catch (error) {
    if (error instanceof AudioError) throw error;
    throw corruptAudio(format, error instanceof Error ? error.message : String(error));
  }
}

/** Decodes a PhysioNet WFDB record from its header text and its format-16 signal file. */
export function decodeWfdbRecord(
  headerText: string,
  signalFile: Uint8Array,
  options: Partial<DecodeLimits> = {},
): DecodedAudio {
  const limits = { ...DEFAULT_DECODE_LIMITS, ...options };
  if (signalFile.length > limits.maxBytes) throw fileTooLarge(signalFile.length, limits.maxBytes);
  const header = parseWfdbHeader(headerText, limits);
  const signal = readWfdbSignal(header, signalFile, pickHeartSoundSignal(header), limits);
  return checkDecoded(
    { samples: signal.samples, sampleRate: signal.sampleRate, channels: signal.signalCount },
    'wfdb',
    limits,
  );
}

/**
 * The same memory as a plain Uint8Array. A Node Buffer's slice() is a view, not a copy, so a
 * decoder that copies a misaligned chunk with slice() before reading 16- or 32-bit samples gets
 * the same odd offset back and fails; small Buffers (pooled, or Redis replies) often start at one.
 */
function plainBytes(bytes: Uint8Array): Uint8Array {
  return Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
}

/** The largest |sample|, or an invalidSamples error at the first NaN or infinity. */
function peakOfFiniteSamples(samples: Float32Array): number {
  let peak = 0;
  for (let i = 0; i < samples.length; i++) {
    const magnitude = Math.abs(samples[i]);
    if (!(magnitude <= Number.MAX_VALUE)) throw invalidSamples(i); // NaN fails every comparison
    if (magnitude > peak) peak = magnitude;
  }
  return peak;
}

function checkDecoded(pcm: MonoPcm, format: AudioFormat, limits: DecodeLimits): DecodedAudio {
  const { samples, sampleRate } = pcm;
  if (sampleRate === 0 || samples.length === 0) throw tooShort(0, limits.minDurationSec);
  const durationSec = samples.length / sampleRate;
  if (durationSec > limits.maxDurationSec) throw tooLong(durationSec, limits.maxDurationSec);
  if (durationSec < limits.minDurationSec) throw tooShort(durationSec, limits.minDurationSec);
  const peak = pcm.peak ?? peakOfFiniteSamples(samples);
  if (peak < SILENCE_PEAK) throw silent(peak);
  return { samples, sampleRate, channels: pcm.channels, format, durationSec };
}
