// Native FLAC files decoded to mono in our own WebAssembly module (wasm/flac-to-mono.c): one pass from
// the file's bytes to the mono float32 samples, with the same values @audio/decode-flac + mixToMono
// give. It declines (undefined) whatever it does not decode exactly like them, and the caller decodes
// such files the old way, so odd or broken files keep their results and errors.

import { alignTo16, compileEmbeddedWasm, growMemoryTo } from '../embedded-wasm';
import { FLAC_TO_MONO_WASM_BASE64 } from './wasm/flac-to-mono-bytes';

type FlacToMonoExports = {
  readonly memory: WebAssembly.Memory;
  readonly __heap_base: WebAssembly.Global;
  decode_flac_to_mono(input: number, length: number, out: number, capacity: number, info: number): number;
};

export type FlacMono = {
  readonly samples: Float32Array;
  readonly sampleRate: number;
  readonly channels: number;
  /** The largest |sample|; every sample is finite. */
  readonly peak: number;
};

/** Zero bytes the C bit reader may load (never use) past the input. */
const INPUT_PADDING = 16;
/** An instance whose memory grew past this is dropped after the call, so one long upload does not keep it. */
const MAX_KEPT_MEMORY_BYTES = 64 * 1024 * 1024;

let compiled: WebAssembly.Module | null | undefined;
let instance: FlacToMonoExports | undefined;

function flacToMono(): FlacToMonoExports | undefined {
  if (instance) return instance;
  // null without WebAssembly SIMD: every file takes the old path
  if (compiled === undefined) compiled = compileEmbeddedWasm(FLAC_TO_MONO_WASM_BASE64);
  if (compiled) instance = new WebAssembly.Instance(compiled, {}).exports as unknown as FlacToMonoExports;
  return instance;
}

/**
 * Decodes a whole native FLAC file of `expectedFrames` samples per channel (STREAMINFO's total), or
 * returns undefined when the module declines it: see wasm/flac-to-mono.c for when.
 */
export function decodeFlacToMono(bytes: Uint8Array, expectedFrames: number): FlacMono | undefined {
  const exports = flacToMono();
  if (!exports || !(expectedFrames > 0) || expectedFrames >= 2 ** 31) return undefined;
  const inputAt = alignTo16(exports.__heap_base.value as number);
  const infoAt = alignTo16(inputAt + bytes.length + INPUT_PADDING);
  const outAt = infoAt + 16;
  const end = outAt + 4 * expectedFrames;
  growMemoryTo(exports.memory, end);
  const memory = new Uint8Array(exports.memory.buffer);
  memory.set(bytes, inputAt);
  memory.fill(0, inputAt + bytes.length, infoAt);
  const frames = exports.decode_flac_to_mono(inputAt, bytes.length, outAt, expectedFrames, infoAt);
  const { buffer } = exports.memory;
  const [sampleRate, channels] = new Int32Array(buffer, infoAt, 2);
  const peak = new Float32Array(buffer, infoAt + 12, 1)[0];
  const result =
    frames === expectedFrames
      ? { samples: new Float32Array(buffer, outAt, frames).slice(), sampleRate, channels, peak }
      : undefined;
  if (buffer.byteLength > MAX_KEPT_MEMORY_BYTES) instance = undefined;
  return result;
}
