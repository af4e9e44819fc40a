// A PhysioNet WFDB record travels as two files (.hea and .dat). Screening takes one recording, so
// a record is turned into a WAV of its heart-sound signal: 32-bit float samples, exactly the values
// decodeWfdbRecord reads, so the record and the WAV get the same answer everywhere.

import { decodeWfdbRecord, type DecodeOptions } from './decode-audio';
import { DEFAULT_DECODE_LIMITS } from './limits';
import { parseWfdbHeader, pickHeartSoundSignal } from './wfdb';

/** The name of the signal file (.dat) that holds the record's heart-sound signal, as its header gives it. */
export function wfdbSignalFileName(headerText: string): string {
  const header = parseWfdbHeader(headerText, DEFAULT_DECODE_LIMITS);
  return header.signals[pickHeartSoundSignal(header)]!.fileName;
}

/** The record's heart-sound signal as a 32-bit float WAV; AudioErrors for a record that cannot be read. */
export function wfdbRecordAsWav(
  headerText: string,
  signalFile: Uint8Array,
  options: Omit<DecodeOptions, 'wfdbSignalFile'> = {},
): Uint8Array {
  const decoded = decodeWfdbRecord(headerText, signalFile, options);
  return floatWav(decoded.samples, decoded.sampleRate);
}

/** A mono WAV of IEEE float samples (format 3), which decodes back to exactly these values. */
export function floatWav(samples: Float32Array, sampleRate: number): Uint8Array {
  const dataBytes = samples.length * 4;
  const bytes = new Uint8Array(44 + dataBytes);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string) =>
    [...text].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 3, true);
  view.setUint16(22, 1, true);
  // WAV rates are whole numbers; PhysioNet's heart-sound databases use whole rates anyway.
  view.setUint32(24, Math.round(sampleRate), true);
  view.setUint32(28, Math.round(sampleRate) * 4, true);
  view.setUint16(32, 4, true);
  view.setUint16(34, 32, true);
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  new Float32Array(bytes.buffer, 44, samples.length).set(samples);
  return bytes;
}
