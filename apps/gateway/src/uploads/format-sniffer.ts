// Checks an upload's format from its first bytes while it streams past, so an unsupported file is
// refused before it is stored, and the message names what was sent ("got a PNG image").
import { Transform, type TransformCallback } from 'node:stream';
import { detectFormat, type DetectedFormat } from '@heartbeat/audio';
import { ApiError } from '../common/api-error';

/** Enough for every signature detectFormat knows (DICOM's sits at byte 128; text needs 512). */
export const SNIFF_BYTES = 4096;

export const SUPPORTED_UPLOAD_FORMATS = 'WAV, FLAC, MP3 or OGG (Vorbis/Opus)';

/** The error for bytes that are not a recording the gateway accepts, or undefined when they are. */
export function rejectionFor(detected: DetectedFormat): ApiError | undefined {
  if (detected.supported && detected.format !== 'wfdb') return undefined;
  if (!detected.supported && detected.description === 'an empty file')
    return new ApiError(
      415,
      'EMPTY_FILE',
      'The uploaded file is empty (0 bytes). Check that the recording finished saving and upload it again.',
    );
  const description = detected.supported
    ? "a PhysioNet WFDB header (.hea) without its signal file; send the record's .hea and .dat files together in one request (named <record>.hea and the .dat its header names)"
    : detected.description;
  return new ApiError(
    415,
    'UNSUPPORTED_FORMAT',
    `Unsupported audio format: expected ${SUPPORTED_UPLOAD_FORMATS}, got ${description}.`,
    {
      detected: description,
    },
  );
}

/** Passes bytes through once the first SNIFF_BYTES (or the whole file) show a supported format. */
export class FormatSniffer extends Transform {
  private head: Buffer[] = [];
  private headSize = 0;
  detected?: DetectedFormat;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.detected) return callback(null, chunk);
    this.head.push(chunk);
    this.headSize += chunk.length;
    if (this.headSize >= SNIFF_BYTES) return this.decide(callback);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.detected) return callback();
    this.decide(callback);
  }

  /** The detected format of a supported upload ('wav', 'flac'...). */
  get format(): string {
    return this.detected?.supported ? this.detected.format : 'unknown';
  }

  private decide(callback: TransformCallback): void {
    // Usually the first chunk alone holds the head: passed on as it is, without a copy.
    const bytes = this.head.length === 1 ? this.head[0]! : Buffer.concat(this.head, this.headSize);
    this.head = [];
    this.detected = detectFormat(bytes);
    const rejection = rejectionFor(this.detected);
    if (rejection) return callback(rejection);
    callback(null, bytes);
  }
}
