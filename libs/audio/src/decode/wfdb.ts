// PhysioNet WFDB records: a text header (.hea) describing the signals plus a binary signal file
// (.dat). Only format 16 (interleaved little-endian int16) is read; it is what PhysioNet's heart-sound
// databases use. Hand-written because no maintained npm package reads WFDB.

import { corruptAudio, tooLong, unsupportedFormat } from '../errors';
import { assertSampleRate, type DecodeLimits } from './limits';

export type WfdbSignalSpec = {
  readonly fileName: string;
  readonly format: number;
  readonly byteOffset: number;
  readonly adcResolution: number;
  readonly baseline: number;
  readonly description: string;
};

export type WfdbHeader = {
  readonly recordName: string;
  readonly sampleRate: number;
  /** Samples per signal; 0 when the header leaves it to the signal file's length. */
  readonly samplesPerSignal: number;
  readonly signals: readonly WfdbSignalSpec[];
};

export type WfdbSignal = {
  readonly samples: Float32Array;
  readonly sampleRate: number;
  readonly signalCount: number;
};

const MAX_SIGNALS = 64;
const DEFAULT_SAMPLE_RATE = 250; // WFDB's documented default when a header omits the rate
const BYTES_PER_SAMPLE = 2;

export function parseWfdbHeader(headerText: string, limits: DecodeLimits): WfdbHeader {
  const lines = headerText
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (lines.length === 0) throw corruptAudio('wfdb', 'the header (.hea) is empty');
  const [recordField, signalCountField, rateField, samplesField] = lines[0].split(/\s+/);
  if (recordField.includes('/')) throw unsupportedFormat('a multi-segment WFDB record');
  const signalCount = Number(signalCountField);
  if (!Number.isInteger(signalCount) || signalCount < 1 || signalCount > MAX_SIGNALS) {
    throw corruptAudio(
      'wfdb',
      `the header declares ${signalCountField ?? 'no'} signals; 1 to ${MAX_SIGNALS} are supported`,
    );
  }
  const sampleRate =
    rateField === undefined ? DEFAULT_SAMPLE_RATE : Number.parseFloat(rateField.split('/')[0]);
  assertSampleRate(sampleRate, limits);
  const samplesPerSignal = samplesField === undefined ? 0 : Number(samplesField);
  if (!Number.isSafeInteger(samplesPerSignal) || samplesPerSignal < 0) {
    throw corruptAudio('wfdb', `"${samplesField}" is not a valid number of samples`);
  }
  if (samplesPerSignal / sampleRate > limits.maxDurationSec)
    throw tooLong(samplesPerSignal / sampleRate, limits.maxDurationSec);
  if (lines.length - 1 < signalCount) {
    throw corruptAudio(
      'wfdb',
      `the header declares ${signalCount} signals but describes ${lines.length - 1}`,
    );
  }
  const signals = lines.slice(1, 1 + signalCount).map(parseSignalLine);
  return { recordName: recordField, sampleRate, samplesPerSignal, signals };
}

function parseSignalLine(line: string): WfdbSignalSpec {
  const fields = line.split(/\s+/);
  const [fileName, formatField = '', gainField = '', resolutionField = '', zeroField = ''] = fields;
  const formatMatch = /^(\d+)(?:x\d+)?(?::\d+)?(?:\+(\d+))?$/.exec(formatField);
  if (!formatMatch) throw corruptAudio('wfdb', `"${formatField}" is not a valid signal format`);
  const format = Number(formatMatch[1]);
  if (format !== 16)
    throw unsupportedFormat(`a WFDB record in signal format ${format} (only format 16 is read)`);
  const adcZero = zeroField === '' ? 0 : Number(zeroField);
  const baselineMatch = /\((-?\d+)\)/.exec(gainField);
  const resolution = resolutionField === '' ? 0 : Number(resolutionField);
  return {
    fileName,
    format,
    byteOffset: formatMatch[2] === undefined ? 0 : Number(formatMatch[2]),
    adcResolution: resolution > 0 && resolution <= 16 ? resolution : 16,
    baseline: baselineMatch ? Number(baselineMatch[1]) : Number.isFinite(adcZero) ? adcZero : 0,
    description: fields.slice(8).join(' '),
  };
}

/**
 * Reads one signal of a format-16 record, scaled to full scale [-1, 1) as (digital - baseline) /
 * 2^(adcResolution - 1), the same scale a 16-bit WAV of the recording decodes to. The heart-sound
 * signal is the one described as PCG, otherwise the first.
 */
export function readWfdbSignal(
  header: WfdbHeader,
  datBytes: Uint8Array,
  signalIndex = pickHeartSoundSignal(header),
  limits?: Pick<DecodeLimits, 'maxDurationSec'>,
): WfdbSignal {
  const signal = header.signals[signalIndex];
  if (!signal) throw corruptAudio('wfdb', `the record has no signal ${signalIndex}`);
  const sameFile = header.signals.filter((other) => other.fileName === signal.fileName);
  const stride = sameFile.length;
  const column = sameFile.indexOf(signal);
  const available = Math.floor(
    Math.max(0, datBytes.length - signal.byteOffset) / (BYTES_PER_SAMPLE * stride),
  );
  const frames = header.samplesPerSignal > 0 ? header.samplesPerSignal : available;
  if (frames > available) {
    throw corruptAudio(
      'wfdb',
      `the header announces ${frames} samples but the signal file holds ${available} (truncated .dat?)`,
    );
  }
  // a header without a sample count leaves the length to the .dat file: check it before allocating
  if (limits && frames / header.sampleRate > limits.maxDurationSec)
    throw tooLong(frames / header.sampleRate, limits.maxDurationSec);
  const view = new DataView(datBytes.buffer, datBytes.byteOffset, datBytes.byteLength);
  const scale = 1 / 2 ** (signal.adcResolution - 1);
  const samples = new Float32Array(frames);
  let position = signal.byteOffset + column * BYTES_PER_SAMPLE;
  for (let i = 0; i < frames; i++, position += BYTES_PER_SAMPLE * stride) {
    samples[i] = (view.getInt16(position, true) - signal.baseline) * scale;
  }
  return { samples, sampleRate: header.sampleRate, signalCount: header.signals.length };
}

export function pickHeartSoundSignal(header: WfdbHeader): number {
  const index = header.signals.findIndex((signal) => /\bPCG\b|heart ?sound/i.test(signal.description));
  return index >= 0 ? index : 0;
}
