// Fuzz target (npm run fuzz): a WFDB header and signal file (split at the first NUL byte) through
// decodeWfdbRecord must give audio or a typed AudioError.
import { AudioError, decodeWfdbRecord } from '@heartbeat/audio';

export function fuzz(data: Buffer): void {
  const split = data.indexOf(0);
  const header = data.subarray(0, split < 0 ? data.length : split).toString('latin1');
  const signal = new Uint8Array(split < 0 ? 0 : data.length - split - 1);
  if (split >= 0) signal.set(data.subarray(split + 1));
  try {
    decodeWfdbRecord(header, signal);
  } catch (error) {
    if (!(error instanceof AudioError)) throw error;
  }
}
