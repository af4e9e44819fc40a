// Streams the files of a multipart/form-data request one at a time (busboy), without buffering:
// busboy only parses the next part once the current file stream has been consumed.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { ApiError } from '../common/api-error';
import { normaliseFileName } from './file-name';

export interface IncomingFile {
  /** Position of the file in the request, from 0. */
  index: number;
  fieldName: string;
  fileName: string;
  mimeType: string;
  stream: Readable & { truncated?: boolean };
}

export interface MultipartOptions {
  /** Form field names that may carry files, e.g. ['file'] or ['files']. */
  fieldNames: readonly string[];
  maxFiles: number;
  maxFileBytes: number;
  /**
   * Called for each text field in the order sent (a field before a file is seen before that file is
   * yielded) with the number of files so far; an ApiError it throws fails the request.
   */
  onField?: (name: string, value: string, filesSoFar: number) => void;
}

/** 400 for a multipart body that cannot be read (cut off before its closing boundary, malformed parts). */
export function malformedMultipart(reason: string): ApiError {
  return new ApiError(
    400,
    'MALFORMED_MULTIPART',
    `The multipart request cannot be read: ${reason}. Send the whole request again; if it keeps failing, check that the client sends a complete multipart/form-data body.`,
  );
}

export function isMultipart(request: IncomingMessage): boolean {
  return /^multipart\/form-data/i.test(request.headers['content-type'] ?? '');
}

/**
 * Yields each uploaded file as a stream. The consumer must read (or resume) each stream before
 * asking for the next. Stops with 413 TOO_MANY_FILES past `maxFiles`, 400 UNEXPECTED_FIELD for a
 * file under another field name. Files larger than maxFileBytes arrive with one byte more than the
 * limit and then end, so the storage layer's size check trips while busboy discards the rest.
 */
export async function* readMultipartFiles(
  request: IncomingMessage,
  options: MultipartOptions,
): AsyncGenerator<IncomingFile> {
  if (!isMultipart(request))
    throw new ApiError(
      415,
      'NOT_MULTIPART',
      `Send the recordings as multipart/form-data with the field "${options.fieldNames[0]}".`,
    );
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: request.headers,
      limits: {
        files: options.maxFiles,
        fileSize: options.maxFileBytes + 1,
        fields: 100,
        fieldSize: 64 * 1024,
      },
      // File names as browsers and curl send them (UTF-8), not busboy's default Latin-1.
      defParamCharset: 'utf8',
    });
  } catch (error) {
    throw malformedMultipart((error as Error).message);
  }

  const pending: IncomingFile[] = [];
  let finished = false;
  let failure: ApiError | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  let index = 0;

  parser.on('file', (fieldName, stream, info) => {
    // busboy fails the file being read when the body ends early ("Unexpected end of form"); an
    // 'error' event without a listener would take the whole process down.
    stream.on('error', (error: Error) => {
      failure ??= malformedMultipart(error.message);
      notify();
    });
    if (!options.fieldNames.includes(fieldName)) {
      stream.resume();
      failure ??= new ApiError(
        400,
        'UNEXPECTED_FIELD',
        `Unexpected file field "${fieldName}"; send recordings in the field "${options.fieldNames[0]}".`,
        {
          field: fieldName,
          expected: options.fieldNames,
        },
      );
    } else {
      pending.push({
        index,
        fieldName,
        fileName: normaliseFileName(info.filename ?? '', `file-${index + 1}`),
        mimeType: info.mimeType,
        stream,
      });
      index += 1;
    }
    notify();
  });
  parser.on('field', (name: string, value: string) => {
    try {
      options.onField?.(name, value, index);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      failure ??= error;
      notify();
    }
  });
  parser.on('filesLimit', () => {
    failure ??= new ApiError(
      413,
      'TOO_MANY_FILES',
      `Too many files: at most ${options.maxFiles} per request (MAX_BATCH_FILES).`,
      { maxFiles: options.maxFiles },
    );
    notify();
  });
  parser.on('error', (error: Error) => {
    failure ??= malformedMultipart(error.message);
    notify();
  });
  parser.on('close', () => {
    finished = true;
    notify();
  });
  const clientGone = () => {
    failure ??= malformedMultipart('the client closed the connection before the upload finished');
    notify();
  };
  request.on('aborted', clientGone);
  request.on('error', clientGone);
  request.pipe(parser);

  try {
    for (;;) {
      if (failure) throw failure;
      const next = pending.shift();
      if (next) {
        yield next;
        continue;
      }
      if (finished) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    for (const file of pending) file.stream.resume();
    if (!finished) {
      request.unpipe(parser);
      request.resume();
    }
  }
}
