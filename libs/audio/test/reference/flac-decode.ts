// FLAC decoding as it was before our own decoder (issue 28): @audio/decode-flac (libFLAC in
// WebAssembly) over the whole file, its channels mixed to mono by mixToMono.

import { decoder as createFlacDecoder } from '@audio/decode-flac';
import { mixToMono } from '../../src/decode/codec-stream';

export type ReferenceFlacMono = { samples: Float32Array; sampleRate: number; channels: number };

export async function referenceDecodeFlac(bytes: Uint8Array): Promise<ReferenceFlacMono | undefined> {
  const decoder = await createFlacDecoder();
  try {
    const decoded = decoder.decode(bytes);
    if (decoded.channelData.length === 0) return undefined;
    return {
      samples: mixToMono(decoded.channelData),
      sampleRate: decoded.sampleRate,
      channels: decoded.channelData.length,
    };
  } catch {
    return undefined;
  } finally {
    try {
      decoder.free();
    } catch {
      // freed by the failing call
    }
  }
}
