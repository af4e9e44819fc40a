// Fuzz target (npm run fuzz): any bytes through decodeAudio must give audio or a typed AudioError.
import { AudioError, decodeAudio } from '@heartbeat/audio';

export async function fuzz(data: Buffer): Promise<void> {
  try {
    await decodeAudio(new Uint8Array(data), { timeoutMs: 5_000 });
  } catch (error) {
    if (!(error instanceof AudioError)) throw error;
  }
}
