// Reads a labelled training upload (multipart) through the screening upload path: repeated `files`
// parts, each optionally followed by a `labels` field for that file, or one `label` field for all,
// or a `manifest` CSV (file name,label) as a field or a file part; plus an optional `site`. The
// recordings stream one at a time (never a whole request in memory); the labels are collected as
// they arrive and checked once the request has been read, before anything is kept.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { ApiError } from '../common/api-error';
import { readMultipartFiles, type IncomingFile } from '../uploads/multipart';

export type TrainingLabel = 'normal' | 'abnormal';

const LABELS: readonly string[] = ['normal', 'abnormal'];
export const SITE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,39}$/;
/** A manifest lists file names and labels: a megabyte holds tens of thousands of lines. */
const MAX_MANIFEST_BYTES = 1024 * 1024;

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

function tooManyFiles(maxFiles: number): ApiError {
  return new ApiError(
    413,
    'TOO_MANY_FILES',
    `Too many files: at most ${maxFiles} per request (MAX_BATCH_FILES).`,
    { maxFiles },
  );
}

async function readManifest(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_MANIFEST_BYTES)
      throw new ApiError(
        400,
        'INVALID_MANIFEST',
        `The manifest is larger than ${MAX_MANIFEST_BYTES} bytes; split the upload into several requests.`,
      );
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The labels and site of one upload, gathered while its files stream past. */
export class TrainingUploadLabels {
  site?: string;
  private label?: string;
  private manifest?: string;
  /** `labels` fields by the multipart part they follow. */
  private readonly byPart = new Map<number, string>();
  /** Each recording's multipart part index and name, by its position among the recordings. */
  private readonly recordings: { part: number; fileName: string }[] = [];
  /** Each recording's label, by its position, resolved once the whole request has been read. */
  private resolvedLabels?: TrainingLabel[];

  /** For readMultipartFiles' onField: `partsSoFar` counts every file part parsed so far. */
  readonly onField = (name: string, value: string, partsSoFar: number): void => {
    if (name === 'labels') {
      if (partsSoFar === 0 || this.byPart.has(partsSoFar - 1))
        throw new ApiError(
          400,
          'INVALID_LABEL',
          'Each "labels" field must follow the "files" part it labels.',
        );
      this.byPart.set(partsSoFar - 1, value);
    } else if (name === 'label') this.label = value;
    else if (name === 'site') this.site = value.trim() || undefined;
    else if (name === 'manifest') this.manifest = value;
    else throw new ApiError(400, 'UNEXPECTED_FIELD', `Unexpected field "${name}".`, { field: name });
  };

  /** Reads the whole request's recordings as a stream of files; throws once it ends if a label is missing. */
  async *files(
    request: IncomingMessage,
    limits: { maxFiles: number; maxFileBytes: number },
  ): AsyncGenerator<IncomingFile> {
    const parts = readMultipartFiles(request, {
      fieldNames: ['files', 'file', 'manifest'],
      // One part more than the recordings may be the manifest.
      maxFiles: limits.maxFiles + 1,
      maxFileBytes: limits.maxFileBytes,
      onField: this.onField,
    });
    for await (const part of parts) {
      if (part.fieldName === 'manifest') {
        this.manifest = await readManifest(part.stream);
        continue;
      }
      if (this.recordings.length === limits.maxFiles) throw tooManyFiles(limits.maxFiles);
      this.recordings.push({ part: part.index, fileName: part.fileName });
      yield { ...part, index: this.recordings.length - 1 };
    }
    // Thrown from inside the stream of files, so the upload removes what it stored.
    this.check();
  }

  /** The label of the recording at `index` (its position among the recordings), once `files` has ended. */
  labelFor(index: number): TrainingLabel {
    if (!this.resolvedLabels) throw new Error('Labels are known only once the whole upload has been read');
    const label = this.resolvedLabels[index];
    if (label === undefined) throw new RangeError(`No recording ${index} in this upload`);
    return label;
  }

  private resolveLabel(
    { part, fileName }: { part: number; fileName: string },
    manifestLabels: Map<string, TrainingLabel> | undefined,
  ): TrainingLabel {
    const value = this.byPart.get(part) ?? manifestLabels?.get(fileName) ?? this.label;
    if (value === undefined)
      throw new ApiError(
        400,
        'MISSING_LABEL',
        `No label for "${fileName}": follow it with a "labels" field, send one "label" for all, or list it in a "manifest" CSV.`,
        { fileName },
      );
    return normaliseLabel(value, fileName);
  }

  private check(): void {
    if (this.recordings.length === 0)
      throw new ApiError(400, 'NO_FILES', 'No recordings: send one or more "files" parts.');
    if (this.site !== undefined && !SITE_PATTERN.test(this.site))
      throw new ApiError(
        400,
        'INVALID_SITE',
        `site must be 1-40 letters, digits or dashes, got "${this.site}"`,
        { site: this.site },
      );
    const recordingParts = new Set(this.recordings.map(({ part }) => part));
    if ([...this.byPart.keys()].some((part) => !recordingParts.has(part)))
      throw new ApiError(400, 'INVALID_LABEL', 'Each "labels" field must follow the "files" part it labels.');
    const manifestLabels = this.manifest === undefined ? undefined : parseLabelManifest(this.manifest);
    this.resolvedLabels = this.recordings.map((recording) => this.resolveLabel(recording, manifestLabels));
  }
}
