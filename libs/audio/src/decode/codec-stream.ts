// Runs the npm decoders (audio-decode: @wasm-audio-decoders, mpg123) piece by piece, mixing each
// piece to mono as it arrives and stopping once the duration limit is passed, so memory and time stay
// bounded whatever the file claims or however far it decompresses.

import { decoder as createFlacDecoder } from '@audio/decode-flac';
import decode from 'audio-decode';
import { AudioError, corruptAudio, tooLong } from '../errors';
import type { AudioFormat } from './detect-format';
import { MAX_FLAC_BLOCK_SAMPLES, flacHeaderSampleCount, flacPieces } from './flac-frames';
import { decodeFlacToMono } from './flac-to-mono';
import { assertSampleRate, type DecodeLimits } from './limits';

export type MonoPcm = {
  readonly samples: Float32Array;
  readonly sampleRate: number;
  readonly channels: number;
  /** The largest |sample|, when the decoder already knows every sample is finite. */
  readonly peak?: number;
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
 * Samples per channel one decoder call may produce (4 MB of float per channel). A decoder returns
 * everything a piece of input decodes to at once, so this, not the input size, bounds its buffers.
 */
export const MAX_FRAMES_PER_DECODE_CALL = 1 << 20;
// Compressed formats without a frame scan (MP3, Ogg) start with small pieces and grow them as far
// as the worst compression ratio seen so far allows.
const FIRST_PIECE_BYTES = 1024;
const MIN_PIECE_BYTES = 256;

/**
 * FLAC sample sizes that @audio/decode-flac (it scales only 8, 16 and 24 bits) turns into infinities:
 * our decoder is tried on them whatever the file's size, and the old path is not trusted with them.
 */
const FLAC_BITS_ONLY_OUR_DECODER_SCALES: readonly number[] = [12, 20];

/**
 * @param expectedFrames frames the container header announces (FLAC STREAMINFO), 0 if unknown.
 * @param flacBitsPerSample native FLAC's sample size (STREAMINFO), 0 if unknown.
 */
export async function decodeToMono(
  bytes: Uint8Array | readonly Uint8Array[],
  format: CodecFormat,
  limits: DecodeLimits,
  expectedFrames = 0,
  flacBitsPerSample = 0,
): Promise<MonoPcm> {
  const pieces = bytes instanceof Uint8Array ? [bytes] : bytes;
  const onlyOurDecoderScales =
    format === 'flac' && FLAC_BITS_ONLY_OUR_DECODER_SCALES.includes(flacBitsPerSample);
  if (
    format === 'flac' &&
    expectedFrames > 0 &&
    pieces.length === 1 &&
    (pieces[0].length <= limits.chunkBytes || onlyOurDecoderScales)
  ) {
    // Our decoder never writes more than STREAMINFO's total, so it needs no frame scan first.
    const direct = decodeFlacToMono(pieces[0], expectedFrames);
    if (direct) return direct;
    // frames beyond what STREAMINFO announced would all be decoded in the one call
    if (
      !onlyOurDecoderScales &&
      flacHeaderSampleCount(pieces[0]) <= expectedFrames + MAX_FLAC_BLOCK_SAMPLES
    ) {
      const whole = await decodeWholeFlac(pieces[0], expectedFrames, limits);
      if (whole) return whole;
    }
  }
  const pcm = await decodeInChunks(pieces, format, limits);
  // Fewer samples than announced: decodeAudio reports the file as damaged, as for any other size.
  if (onlyOurDecoderScales && pcm.samples.length >= expectedFrames)
    throw flacSampleSizeOnlyReadWhole(flacBitsPerSample);
  return pcm;
}

/** A 12- or 20-bit FLAC file our decoder declined, whose samples the old path makes infinite. */
function flacSampleSizeOnlyReadWhole(bitsPerSample: number): AudioError {
  return new AudioError(
    'UNSUPPORTED_FORMAT',
    `This ${bitsPerSample}-bit FLAC file could not be decoded: 12- and 20-bit FLAC is read only from a complete file whose STREAMINFO header gives the length its frames add up to, and this one does not (a streaming encoder leaves the length out; extra frames or damage also cause this). Re-encode it as 16- or 24-bit FLAC (for example \`sox in.flac -b 16 out.flac\`) or as WAV and upload it again.`,
    { format: 'flac', bitsPerSample },
  );
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

  const accept = (chunk: AudioChunk): number => {
    if (chunk.channelData.length === 0 || chunk.channelData[0].length === 0) return 0;
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
    return chunk.channelData[0].length;
  };
  const decodePiece = async (piece: Uint8Array): Promise<number> => {
    const frames = accept(await decoder(piece));
    if (performance.now() > deadline) {
      throw corruptAudio(format, `decoding did not finish within ${limits.timeoutMs / 1000} s`);
    }
    return frames;
  };

  try {
    for (const bytes of input) {
      if (format === 'flac' && bytes[0] === 0x66) {
        for (const piece of flacPieces(bytes, MAX_FRAMES_PER_DECODE_CALL, limits.chunkBytes))
          await decodePiece(piece);
      } else if (format === 'wav') {
        // the header was checked against the duration limit, and a byte holds at most one sample
        for (let offset = 0; offset < bytes.length; offset += limits.chunkBytes)
          await decodePiece(bytes.subarray(offset, offset + limits.chunkBytes));
      } else {
        await decodeInGrowingPieces(bytes, limits.chunkBytes, decodePiece);
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

/**
 * Feeds `bytes` in pieces sized so that, at the worst samples-per-byte ratio seen so far, a piece
 * decodes to at most MAX_FRAMES_PER_DECODE_CALL samples; pieces at most double from one to the next.
 */
async function decodeInGrowingPieces(
  bytes: Uint8Array,
  maxPieceBytes: number,
  decodePiece: (piece: Uint8Array) => Promise<number>,
): Promise<void> {
  let worstRatio = 0;
  let size = Math.min(FIRST_PIECE_BYTES, maxPieceBytes);
  for (let offset = 0; offset < bytes.length;) {
    const piece = bytes.subarray(offset, offset + size);
    offset += piece.length;
    worstRatio = Math.max(worstRatio, (await decodePiece(piece)) / piece.length);
    const affordable =
      worstRatio > 0 ? Math.floor(MAX_FRAMES_PER_DECODE_CALL / worstRatio) : Number.POSITIVE_INFINITY;
    size = Math.max(MIN_PIECE_BYTES, Math.min(affordable, 2 * size, maxPieceBytes));
  }
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
