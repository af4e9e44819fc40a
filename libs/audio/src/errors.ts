// One error type for everything that can go wrong with an upload, so the API can map `code` to a 4xx
// and show `message` to the person who uploaded the recording.

export const AUDIO_ERROR_CODES = [
  'UNSUPPORTED_FORMAT',
  'CORRUPT_AUDIO',
  'EMPTY_FILE',
  'TOO_SHORT',
  'TOO_LONG',
  'SILENT',
  'BAD_SAMPLE_RATE',
  'INVALID_SAMPLES',
  'FILE_TOO_LARGE',
] as const;

export type AudioErrorCode = (typeof AUDIO_ERROR_CODES)[number];

export class AudioError extends Error {
  override readonly name = 'AudioError';

  constructor(
    readonly code: AudioErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

export function isAudioError(error: unknown, code?: AudioErrorCode): error is AudioError {
  return error instanceof AudioError && (code === undefined || error.code === code);
}

export const SUPPORTED_FORMATS_TEXT =
  'WAV, FLAC, MP3, OGG (Vorbis/Opus) or a PhysioNet WFDB record (.hea + .dat)';

export function unsupportedFormat(detected: string): AudioError {
  return new AudioError(
    'UNSUPPORTED_FORMAT',
    `Unsupported audio format: expected ${SUPPORTED_FORMATS_TEXT}, got ${detected}. Export the recording from the stethoscope app as WAV or FLAC and upload it again.`,
    { detected },
  );
}

export function corruptAudio(format: string, reason: string): AudioError {
  return new AudioError(
    'CORRUPT_AUDIO',
    `The ${format.toUpperCase()} file is damaged or truncated (${reason}). Upload the original recording again; if it keeps failing, re-export it from the recording device.`,
    { format, reason },
  );
}

export function emptyFile(): AudioError {
  return new AudioError(
    'EMPTY_FILE',
    'The uploaded file is empty (0 bytes). Check that the recording finished saving and upload it again.',
  );
}

export function tooShort(durationSec: number, minSec: number): AudioError {
  return new AudioError(
    'TOO_SHORT',
    `The recording lasts ${durationSec.toFixed(2)} s; at least ${minSec} s are needed to hear a few heartbeats. Record for 10 to 30 seconds and upload again.`,
    { durationSec, minSec },
  );
}

export function tooLong(durationSec: number, maxSec: number): AudioError {
  return new AudioError(
    'TOO_LONG',
    `The recording lasts ${durationSec.toFixed(0)} s or more; at most ${maxSec} s are accepted. Trim it to the part over the chest (10 to 60 s is plenty) and upload again.`,
    { durationSec, maxSec },
  );
}

export function silent(peak: number): AudioError {
  return new AudioError(
    'SILENT',
    'The recording is silent (no signal above -90 dBFS). Check that the stethoscope microphone was on and touching the chest, then record again.',
    { peak },
  );
}

export function badSampleRate(sampleRate: number, min: number, max: number): AudioError {
  return new AudioError(
    'BAD_SAMPLE_RATE',
    `The file declares a sample rate of ${sampleRate} Hz; only ${min} Hz to ${max} Hz is accepted. Re-export the recording at a standard rate such as 4000, 8000 or 44100 Hz.`,
    { sampleRate, min, max },
  );
}

export function invalidSamples(index: number): AudioError {
  return new AudioError(
    'INVALID_SAMPLES',
    `The recording contains invalid sample values (NaN or infinity, first at sample ${index}). Re-export it as 16-bit PCM WAV or FLAC and upload again.`,
    { index },
  );
}

export function fileTooLarge(bytes: number, maxBytes: number): AudioError {
  return new AudioError(
    'FILE_TOO_LARGE',
    `The file is ${(bytes / 1e6).toFixed(1)} MB; at most ${(maxBytes / 1e6).toFixed(0)} MB are accepted. Trim the recording or export it as FLAC or MP3.`,
    { bytes, maxBytes },
  );
}
