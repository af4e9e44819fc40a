// Reads a labelled training upload (multipart): repeated `files` parts, each optionally followed by a
// `labels` field for that file, or one `label` field for all, or a `manifest` CSV (file name,label);
// plus an optional `site`. Files are small recordings, so they are held in memory up to the limit.
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { ApiError } from '../common/api-error';
import { normaliseFileName } from '../uploads/file-name';
import { malformedMultipart } from '../uploads/multipart';

export type TrainingLabel = 'normal' | 'abnormal';

export interface LabelledUpload {
  index: number;
  fileName: string;
  bytes: Buffer;
  label: TrainingLabel;
}

export interface TrainingUpload {
  files: LabelledUpload[];
  site?: string;
}

interface RawFile {
  index: number;
  fileName: string;
  bytes: Buffer;
  tooLarge: boolean;
  label?: string;
}

const LABELS: readonly string[] = ['normal', 'abnormal'];
export const SITE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,39}$/;

function normaliseLabel(value: string, where: string): TrainingLabel {
  const label = value.trim().toLowerCase();
  if (!LABELS.includes(label))
    throw new ApiError(
      400,
      'INVALID_LABEL',
      `${where}: label must be "normal" or "abnormal", got "${value}"`,
      { label: value },
    );
  return label as TrainingLabel;
}

/** Parses `name,label` lines; a header line (file,label) is skipped. */
export function parseLabelManifest(csv: string): Map<string, TrainingLabel> {
  const labels = new Map<string, TrainingLabel>();
  csv.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    const [name, value] = line.split(',').map((part) => part?.trim() ?? '');
    if (index === 0 && !LABELS.includes((value ?? '').toLowerCase())) return;
    if (!name || value === undefined)
      throw new ApiError(400, 'INVALID_MANIFEST', `manifest line ${index + 1}: expected "file name,label"`);
    labels.set(name, normaliseLabel(value, `manifest line ${index + 1}`));
  });
  return labels;
}

export async function readTrainingUpload(
  request: IncomingMessage,
  options: { maxFiles: number; maxFileBytes: number },
): Promise<TrainingUpload> {
  if (!/^multipart\/form-data/i.test(request.headers['content-type'] ?? ''))
    throw new ApiError(
      415,
      'NOT_MULTIPART',
      'Send the recordings as multipart/form-data with the field "files".',
    );
  const files: RawFile[] = [];
  let label: string | undefined;
  let site: string | undefined;
  let manifest: string | undefined;
  let failure: ApiError | undefined;
  await new Promise<void>((resolve) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: request.headers,
        limits: {
          files: options.maxFiles + 1,
          fileSize: options.maxFileBytes + 1,
          fields: 2 * options.maxFiles + 10,
        },
        defParamCharset: 'utf8',
      });
    } catch (error) {
      failure = malformedMultipart((error as Error).message);
      resolve();
      return;
    }
    parser.on('file', (field, stream, info) => {
      // A body cut off mid-file fails this stream ("Unexpected end of form"); unheard, it would end the process.
      stream.on('error', (error: Error) => {
        failure ??= malformedMultipart(error.message);
        resolve();
      });
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      if (field === 'files' || field === 'file') {
        // Registered now, not at the stream's end: the `labels` field that follows may arrive first.
        const file: RawFile = {
          index: files.length,
          fileName: normaliseFileName(info.filename ?? '', `file-${files.length + 1}`),
          bytes: Buffer.alloc(0),
          tooLarge: false,
        };
        files.push(file);
        stream.on('end', () => {
          file.bytes = Buffer.concat(chunks);
          file.tooLarge = file.bytes.length > options.maxFileBytes;
        });
      } else if (field === 'manifest') {
        stream.on('end', () => (manifest = Buffer.concat(chunks).toString('utf8')));
      } else {
        stream.resume();
        failure ??= new ApiError(
          400,
          'UNEXPECTED_FIELD',
          `Unexpected file field "${field}"; send recordings in "files" and labels in "labels", "label" or "manifest".`,
          {
            field,
          },
        );
      }
    });
    parser.on('field', (field, value) => {
      if (field === 'labels') {
        const last = files.at(-1);
        if (!last || last.label !== undefined)
          failure ??= new ApiError(
            400,
            'INVALID_LABEL',
            'Each "labels" field must follow the "files" part it labels.',
          );
        else last.label = value;
      } else if (field === 'label') label = value;
      else if (field === 'site') site = value.trim() || undefined;
      else if (field === 'manifest') manifest = value;
      else failure ??= new ApiError(400, 'UNEXPECTED_FIELD', `Unexpected field "${field}".`, { field });
    });
    parser.on('filesLimit', () => {
      failure ??= new ApiError(
        413,
        'TOO_MANY_FILES',
        `Too many files: at most ${options.maxFiles} per request (MAX_BATCH_FILES).`,
      );
    });
    parser.on('error', (error: Error) => {
      failure ??= malformedMultipart(error.message);
      resolve();
    });
    parser.on('close', () => resolve());
    request.on('error', (error: Error) => {
      failure ??= malformedMultipart(error.message);
      resolve();
    });
    request.pipe(parser);
  });
  if (failure) throw failure;
  if (files.length === 0)
    throw new ApiError(400, 'NO_FILES', 'No recordings: send one or more "files" parts.');
  if (files.length > options.maxFiles)
    throw new ApiError(
      413,
      'TOO_MANY_FILES',
      `Too many files: at most ${options.maxFiles} per request (MAX_BATCH_FILES).`,
    );
  if (site !== undefined && !SITE_PATTERN.test(site))
    throw new ApiError(400, 'INVALID_SITE', `site must be 1-40 letters, digits or dashes, got "${site}"`, {
      site,
    });
  const fromManifest = manifest === undefined ? undefined : parseLabelManifest(manifest);
  const labelled = files.map((file): LabelledUpload & { tooLarge: boolean } => {
    const value = file.label ?? fromManifest?.get(file.fileName) ?? label;
    if (value === undefined)
      throw new ApiError(
        400,
        'MISSING_LABEL',
        `No label for "${file.fileName}": follow it with a "labels" field, send one "label" for all, or list it in a "manifest" CSV.`,
        {
          fileName: file.fileName,
        },
      );
    return {
      index: file.index,
      fileName: file.fileName,
      bytes: file.bytes,
      tooLarge: file.tooLarge,
      label: normaliseLabel(value, file.fileName),
    };
  });
  const tooLarge = labelled.find((f) => f.tooLarge);
  if (tooLarge)
    throw new ApiError(
      413,
      'FILE_TOO_LARGE',
      `"${tooLarge.fileName}" is larger than the limit of ${options.maxFileBytes} bytes (MAX_UPLOAD_BYTES).`,
    );
  return { files: labelled.map(({ tooLarge: _tooLarge, ...file }) => file), site };
}
