// A PhysioNet WFDB record arrives as two parts of one request: its header (.hea) and the signal file
// (.dat) the header names, in either order. The pair becomes one recording, the WAV of the record's
// heart-sound signal (libs/audio), under the header's file name; everything else passes through.
import { Readable } from 'node:stream';
import { isAudioError, wfdbRecordAsWav, wfdbSignalFileName } from '@heartbeat/audio';
import { ApiError } from '../common/api-error';
import { malformedMultipart, type IncomingFile } from './multipart';
import { fileTooLarge } from './uploads.service';

/** A WFDB header is a few lines of text; anything larger is not one. */
const MAX_HEADER_BYTES = 64 * 1024;
/** Parts held while waiting for their partner; more unpaired parts than this are refused. */
const MAX_WAITING_PARTS = 16;

export const WFDB_HEADER_EXTENSION = '.hea';
export const WFDB_SIGNAL_EXTENSION = '.dat';

const extensionOf = (name: string) => name.slice(name.lastIndexOf('.')).toLowerCase();

/** A part that stands for a refusal: its stream fails with `error` as soon as it is read. */
function refusedPart(file: IncomingFile, error: ApiError): IncomingFile {
  const stream = new Readable({ read: () => stream.destroy(error) });
  return { ...file, stream };
}

/** The part's bytes, or undefined past maxBytes (read to its end all the same, so busboy goes on to the next part). */
function readAll(file: IncomingFile, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    file.stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    file.stream.once('end', () =>
      resolve(size > maxBytes || file.stream.truncated ? undefined : Buffer.concat(chunks, size)),
    );
    file.stream.once('error', (error: Error) => reject(malformedMultipart(error.message)));
  });
}

function recordPart(header: IncomingFile, headerText: string, signal: Buffer): IncomingFile {
  try {
    const wav = wfdbRecordAsWav(headerText, signal);
    return {
      ...header,
      mimeType: 'audio/wav',
      stream: Readable.from([Buffer.from(wav.buffer, wav.byteOffset, wav.byteLength)]),
    };
  } catch (error) {
    if (!isAudioError(error)) throw error;
    return refusedPart(header, new ApiError(422, error.code, error.message));
  }
}

/**
 * Yields the request's files with each WFDB record's two parts joined into one WAV part. A header
 * whose signal file is not in the request, a signal file without its header and a part that cannot
 * be read as WFDB are yielded as refused parts (their stream fails with the reason).
 */
export async function* pairWfdbParts(
  files: AsyncIterable<IncomingFile>,
  maxFileBytes: number,
): AsyncGenerator<IncomingFile> {
  const headers = new Map<string, { file: IncomingFile; text: string }>();
  const signals = new Map<string, { file: IncomingFile; bytes: Buffer }>();
  const waiting = () => headers.size + signals.size;
  for await (const file of files) {
    const extension = extensionOf(file.fileName);
    if (extension !== WFDB_HEADER_EXTENSION && extension !== WFDB_SIGNAL_EXTENSION) {
      yield file;
      continue;
    }
    const bytes = await readAll(file, extension === WFDB_HEADER_EXTENSION ? MAX_HEADER_BYTES : maxFileBytes);
    if (!bytes) {
      yield refusedPart(
        file,
        fileTooLarge(extension === WFDB_HEADER_EXTENSION ? MAX_HEADER_BYTES : maxFileBytes),
      );
      continue;
    }
    if (waiting() >= MAX_WAITING_PARTS) {
      yield refusedPart(
        file,
        new ApiError(
          400,
          'WFDB_PARTS_UNPAIRED',
          `More than ${MAX_WAITING_PARTS} WFDB parts are waiting for their partner; send each record's .hea and .dat one after the other.`,
        ),
      );
      continue;
    }
    if (extension === WFDB_SIGNAL_EXTENSION) {
      const header = headers.get(file.fileName);
      if (header) {
        headers.delete(file.fileName);
        yield recordPart(header.file, header.text, bytes);
      } else signals.set(file.fileName, { file, bytes });
      continue;
    }
    const text = bytes.toString('utf8');
    let signalName: string;
    try {
      signalName = wfdbSignalFileName(text).split('/').pop()!;
    } catch (error) {
      if (!isAudioError(error)) throw error;
      yield refusedPart(file, new ApiError(422, error.code, error.message));
      continue;
    }
    const signal = signals.get(signalName);
    if (signal) {
      signals.delete(signalName);
      yield recordPart(file, text, signal.bytes);
    } else headers.set(signalName, { file, text });
  }
  for (const [signalName, { file }] of headers)
    yield refusedPart(
      file,
      new ApiError(
        415,
        'UNSUPPORTED_FORMAT',
        `The WFDB header ${file.fileName} names the signal file ${signalName}, which is not in the request; send the .hea and its .dat in the same request.`,
      ),
    );
  for (const { file } of signals.values())
    yield refusedPart(
      file,
      new ApiError(
        415,
        'UNSUPPORTED_FORMAT',
        `${file.fileName} looks like a WFDB signal file, but no header (.hea) in the request names it; send the .hea and its .dat in the same request.`,
      ),
    );
}
