// Runs the npm decoders (audio-decode: @wasm-audio-decoders, mpg123) chunk by chunk, mixing each
// chunk to mono as it arrives, so memory and time stay bounded whatever the file claims.

import { decoder as createFlacDecoder } from '@audio/decode-flac';
import decode from 'audio-decode';
import { AudioError, corruptAudio, tooLong } from '../errors';
import type { AudioFormat } from './detect-format';
import { assertSampleRate, type DecodeLimits } from './limits';

export type MonoPcm = {
  readonly samples: Float32Array;
  readonly sampleRate: number;
  readonly channels: number;
};

type CodecFormat = Exclude<AudioFormat, 'wfdb'>;
type AudioChunk = { channelData: Float32Array[]; sampleRate: number };
type StreamDecoder = ((chunk?: Uint8Array) => Promise<AudioChunk>) & { free(): void };

const DECODER_NAME: Record<CodecFormat, 'wav' | 'flac' | 'mp3' | 'oga' | 'opus'> = {
  wav: 'wav',
  flac: 'flac',
  mp3: 'mp3',
  ogg: 'oga',
  opus: 'opus',
};

type FlacDecoder = Awaited<ReturnType<typeof createFlacDecoder>>;

// Creating a FLAC decoder (WebAssembly instance) costs more than decoding a 30-s PhysioNet file, so
// decoders that finished a whole file cleanly are kept for the next one.
const idleFlacDecoders: FlacDecoder[] = [];
const MAX_IDLE_FLAC_DECODERS = 4;

/**
 * @param expectedFrames frames the container header announces (FLAC STREAMINFO), 0 if unknown.
 */
export async function decodeToMono(
  bytes: Uint8Array | readonly Uint8Array[],
  format: CodecFormat,
  limits: DecodeLimits,
  expectedFrames = 0,
): Promise<MonoPcm> {
  const pieces = bytes instanceof Uint8Array ? [bytes] : bytes;
  if (
    format === 'flac' &&
    expectedFrames > 0 &&
    pieces.length === 1 &&
    pieces[0].length <= limits.chunkBytes
  ) {
    const whole = await decodeWholeFlac(pieces[0], expectedFrames, limits);
    if (whole) return whole;
  }
  return decodeInChunks(pieces, format, limits);
}

/**
 * Decodes a complete native FLAC file with a pooled decoder. The decoder resets itself after a file
 * whose frames add up to STREAMINFO's total, so it is reused only then; anything else (a truncated
 * or inconsistent file) returns undefined and goes through the chunked path with a fresh decoder.
 */
async function decodeWholeFlac(
  bytes: Uint8Array,
  expectedFrames: number,
  limits: DecodeLimits,
): Promise<MonoPcm | undefined> {
  const decoder = idleFlacDecoders.pop() ?? (await createFlacDecoder());
  let decoded: AudioChunk;
  try {
    decoded = decoder.decode(bytes);
  } catch {
    safelyFree(decoder);
    return undefined;
  }
  const frames = decoded.channelData[0]?.length ?? 0;
  if (frames !== expectedFrames) {
    safelyFree(decoder);
    return undefined;
  }
  if (idleFlacDecoders.length < MAX_IDLE_FLAC_DECODERS) idleFlacDecoders.push(decoder);
  else safelyFree(decoder);
  assertSampleRate(decoded.sampleRate, limits);
  return {
    samples: mixToMono(decoded.channelData),
    sampleRate: decoded.sampleRate,
    channels: decoded.channelData.length,
  };
}

async function decodeInChunks(
  input: readonly Uint8Array[],
  format: CodecFormat,
  limits: DecodeLimits,
): Promise<MonoPcm> {
  const deadline = performance.now() + limits.timeoutMs;
  const createDecoder = (decode as unknown as Record<string, () => Promise<StreamDecoder>>)[
    DECODER_NAME[format]
  ];
  const decoder = await createDecoder();
  const pieces: Float32Array[] = [];
  let totalFrames = 0;
  let sampleRate = 0;
  let channels = 0;

  const accept = (chunk: AudioChunk): void => {
    if (chunk.channelData.length === 0 || chunk.channelData[0].length === 0) return;
    if (sampleRate === 0) {
      sampleRate = chunk.sampleRate;
      channels = chunk.channelData.length;
      assertSampleRate(sampleRate, limits);
    } else if (chunk.sampleRate !== sampleRate) {
      throw corruptAudio(
        format,
        `the sample rate changes from ${sampleRate} Hz to ${chunk.sampleRate} Hz mid-stream`,
      );
    }
    pieces.push(mixToMono(chunk.channelData));
    totalFrames += chunk.channelData[0].length;
    if (totalFrames / sampleRate > limits.maxDurationSec)
      throw tooLong(totalFrames / sampleRate, limits.maxDurationSec);
  };

  try {
    for (const bytes of input) {
      for (let offset = 0; offset < bytes.length; offset += limits.chunkBytes) {
        accept(await decoder(bytes.subarray(offset, offset + limits.chunkBytes)));
        if (performance.now() > deadline) {
          throw corruptAudio(format, `decoding did not finish within ${limits.timeoutMs / 1000} s`);
        }
      }
    }
    accept(await decoder()); // flushes and frees
    if (totalFrames === 0) throw corruptAudio(format, 'no audio frames could be decoded');
  } catch (error) {
    safelyFree(decoder);
    if (error instanceof AudioError) throw error;
    throw corruptAudio(
      format,
      `the decoder stopped: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return { samples: concatenate(pieces, totalFrames), sampleRate, channels };
}

export function mixToMono(channelData: readonly Float32Array[]): Float32Array {
  // A lone channel may be a view into the decoder's WebAssembly heap, which the next call reuses.
  if (channelData.length === 1) return channelData[0].slice();
  const frames = channelData[0].length;
  const mono = new Float32Array(frames);
  for (const channel of channelData) {
    for (let i = 0; i < frames; i++) mono[i] += channel[i];
  }
  const scale = 1 / channelData.length;
  for (let i = 0; i < frames; i++) mono[i] *= scale;
  return mono;
}

function concatenate(pieces: readonly Float32Array[], length: number): Float32Array {
  if (pieces.length === 1) return pieces[0];
  const out = new Float32Array(length);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

function safelyFree(decoder: { free(): void }): void {
  try {
    decoder.free();
  } catch {
    // already freed by the failing call; nothing else to release
  }
}
