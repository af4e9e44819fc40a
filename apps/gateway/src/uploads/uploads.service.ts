// Stages recordings in object storage: each upload streams through a format check and the sha256
// hash into its content-addressed key, one file at a time, never holding a whole batch in memory.
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@heartbeat/config';
import { RecordingsRepository } from '@heartbeat/db';
import { ObjectStorage, ObjectTooLargeError, type PutOptions, type StoredObject } from '@heartbeat/storage';
import { ApiError, type ApiErrorCode } from '../common/api-error';
import { CONFIG } from '../common/tokens';
import { GatewayMetrics } from '../telemetry/gateway-metrics';
import { FormatSniffer } from './format-sniffer';
import { malformedMultipart, type IncomingFile } from './multipart';

export const RECORDINGS_PREFIX = 'recordings';
/**
 * Uploads whose bytes have all arrived but whose storage step (and the caller's onFile: rows and job,
 * written a group at a time) is still finishing, at most. Room for a full group to gather while the
 * previous one is written (with 4, groups of ~2 alternated and a batch uploaded half as fast): twice
 * the batch intake's group (INTAKE_GROUP_FILES), so the next group fills while one waits for its
 * last files or is written. Bounds a request's memory: up to this many small files are held whole.
 */
const FINALISING_CONCURRENCY = 32;
const KEY_CHECK_CONCURRENCY = 4;
/**
 * Files up to this size are stored from memory in one PUT (plus the existence check); larger ones
 * stream through a multipart upload to a temporary key and a copy, which costs four round trips.
 * Typical recordings (tens of KB to a few MB) take the short path.
 */
export const IN_MEMORY_UPLOAD_BYTES = 1024 * 1024;

export interface StagedRecording {
  index: number;
  fileName: string;
  storageKey: string;
  sha256: string;
  sizeBytes: number;
  format: string;
  /**
   * True when this upload wrote the object (an earlier upload may have stored the same content under
   * the same key: see discardUnreferenced before deleting it).
   */
  createdObject?: boolean;
  /** A small file's bytes (stageOne, and stageAll's onFile), so the worker can be handed them. */
  bytes?: Buffer;
}

/** An object an upload wrote, and the content it holds. */
export type StoredKey = Pick<StagedRecording, 'storageKey' | 'sha256'>;

export interface RejectedFile {
  index: number;
  fileName: string;
  statusCode: number;
  code: ApiErrorCode;
  message: string;
}

export interface StagingOutcome {
  staged: StagedRecording[];
  rejected: RejectedFile[];
}

/** Called once per file as soon as it is stored (or refused); stageAll waits for it. */
export type StagedFileHandler = (result: StagedRecording | RejectedFile) => Promise<void>;

export function fileTooLarge(maxBytes: number): ApiError {
  return new ApiError(
    413,
    'FILE_TOO_LARGE',
    `The file is larger than the limit of ${maxBytes} bytes (MAX_UPLOAD_BYTES). Trim the recording or export it as FLAC.`,
    {
      maxBytes,
    },
  );
}

function endOf(stream: Readable): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
  });
}

@Injectable()
export class UploadsService {
  constructor(
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(GatewayMetrics) private readonly metrics: GatewayMetrics,
    @Inject(RecordingsRepository) private readonly recordings: Pick<RecordingsRepository, 'findBySha256'>,
  ) {}

  /** Stores one uploaded file; throws 415/413 ApiErrors for a file that cannot be screened. */
  async stageOne(file: IncomingFile): Promise<StagedRecording> {
    const outcome = await this.startStaging(file, undefined, { keepBytes: true });
    await endOf(file.stream);
    const result = await outcome;
    if ('code' in result) throw new ApiError(result.statusCode, result.code, result.message);
    return result;
  }

  /**
   * Stores every file of a multipart batch. A file that cannot be screened is rejected alone; an
   * error of the request itself (too many files, storage down) removes what this request stored,
   * except files already handed to `onFile` (they belong to the caller from then on, even if `onFile`
   * fails) and objects a recording refers to. `onFile` runs while later files upload; an error from
   * it fails the request.
   */
  async stageAll(files: AsyncIterable<IncomingFile>, onFile?: StagedFileHandler): Promise<StagingOutcome> {
    const results: (StagedRecording | RejectedFile)[] = [];
    const finalising = new Set<Promise<void>>();
    const createdObjects: StoredKey[] = [];
    let failure: unknown;
    try {
      for await (const file of files) {
        while (finalising.size >= FINALISING_CONCURRENCY) await Promise.race(finalising);
        if (failure) throw failure;
        // A small file's bytes go to onFile (which may hand them to the worker), never into the list.
        const tracked: Promise<void> = this.startStaging(file, createdObjects, { keepBytes: !!onFile })
          .then(async (result) => {
            if (onFile) {
              // From here on the caller may refer to the object (a recordings row), so a failure
              // of the request must not delete it.
              if (!('code' in result)) handOver(createdObjects, result.storageKey);
              await onFile(result);
            }
            results.push(withoutBytes(result));
          })
          .catch((error: unknown) => void (failure ??= error))
          .finally(() => finalising.delete(tracked));
        finalising.add(tracked);
        // Move on to the next part as soon as this one's bytes have all been read; storing
        // it (hash check, copy into place) finishes in the background.
        await Promise.race([endOf(file.stream), tracked]);
        if (failure) throw failure;
        await endOf(file.stream);
      }
      await Promise.all(finalising);
      if (failure) throw failure;
    } catch (error) {
      await Promise.allSettled(finalising);
      await this.discardUnreferenced(createdObjects).catch(() => undefined);
      throw error;
    }
    results.sort((a, b) => a.index - b.index);
    return {
      staged: results.filter((r): r is StagedRecording => !('code' in r)),
      rejected: results.filter((r): r is RejectedFile => 'code' in r),
    };
  }

  /**
   * Deletes the objects an upload wrote whose content no recording holds (a request that failed, a
   * training file that would not decode). The key is the content's hash and an upload writes without
   * asking whether it is there, so the same bytes may belong to an earlier recording: the recordings
   * table, not the upload, says whether an object is in use. Best effort per object.
   */
  async discardUnreferenced(objects: readonly StoredKey[]): Promise<void> {
    const unique = new Map(objects.map((object) => [object.storageKey, object]));
    await Promise.allSettled(
      [...unique.values()].map(async ({ storageKey, sha256 }) => {
        const recording = await this.recordings.findBySha256(sha256);
        if (!recording) await this.storage.delete(storageKey);
      }),
    );
  }

  /**
   * Checks objects a client already put in the bucket: each must exist, fit the size limit and be
   * audio. They are hashed in place (read once) and referenced under their own key.
   */
  async stageStoredKeys(keys: readonly string[]): Promise<StagingOutcome> {
    const results: (StagedRecording | RejectedFile)[] = new Array(keys.length);
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const index = next++;
        results[index] = await this.stageStoredKey(keys[index]!, index);
      }
    };
    await Promise.all(Array.from({ length: Math.min(KEY_CHECK_CONCURRENCY, keys.length) }, worker));
    return {
      staged: results.filter((r): r is StagedRecording => !('code' in r)),
      rejected: results.filter((r): r is RejectedFile => 'code' in r),
    };
  }

  private async stageStoredKey(key: string, index: number): Promise<StagedRecording | RejectedFile> {
    const fileName = key.split('/').pop() || key;
    const maxBytes = this.config.gateway.maxUploadBytes;
    const info = await this.storage.head(key);
    if (!info)
      return {
        index,
        fileName,
        statusCode: 404,
        code: 'OBJECT_NOT_FOUND',
        message: `No object "${key}" in the bucket.`,
      };
    if (info.size > maxBytes) return { index, fileName, ...rejection(fileTooLarge(maxBytes)) };
    const sniffer = new FormatSniffer();
    const hash = createHash('sha256');
    let size = 0;
    try {
      await pipeline(
        await this.storage.getStream(key),
        sniffer,
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            hash.update(chunk);
            size += chunk.length;
            callback();
          },
        }),
      );
    } catch (error) {
      if (error instanceof ApiError) return { index, fileName, ...rejection(error) };
      throw error;
    }
    return {
      index,
      fileName,
      storageKey: key,
      sha256: hash.digest('hex'),
      sizeBytes: size,
      format: sniffer.format,
      createdObject: false,
    };
  }

  /** Streams one file through the format check into storage; resolves to what became of it. */
  private async startStaging(
    file: IncomingFile,
    createdObjects?: StoredKey[],
    { keepBytes = false } = {},
  ): Promise<StagedRecording | RejectedFile> {
    const maxBytes = this.config.gateway.maxUploadBytes;
    const sniffer = new FormatSniffer();
    // An error of the request's file stream (a body cut off mid-file) must reach the store below
    // instead of leaving it waiting for an end that never comes. Not pipeline(): that would destroy
    // busboy's stream when the sniffer refuses a file, and busboy would never reach the next part.
    const forwardError = (error: Error) =>
      sniffer.destroy(error instanceof ApiError ? error : malformedMultipart(error.message));
    file.stream.once('error', forwardError);
    file.stream.pipe(sniffer);
    try {
      const stored = await this.store(sniffer, {
        prefix: RECORDINGS_PREFIX,
        contentType: file.mimeType || 'application/octet-stream',
        maxBytes,
      });
      if (file.stream.truncated) throw fileTooLarge(maxBytes);
      if (stored.created) createdObjects?.push({ storageKey: stored.key, sha256: stored.sha256 });
      this.metrics.uploadedFiles.inc({ outcome: 'stored' });
      this.metrics.uploadedBytes.inc(stored.size);
      const staged: StagedRecording = {
        index: file.index,
        fileName: file.fileName,
        storageKey: stored.key,
        sha256: stored.sha256,
        sizeBytes: stored.size,
        format: sniffer.format,
        createdObject: stored.created,
      };
      return keepBytes && stored.bytes ? { ...staged, bytes: stored.bytes } : staged;
    } catch (error) {
      // Let busboy go on to the next part: the rest of this file is read and dropped.
      file.stream.unpipe(sniffer);
      file.stream.resume();
      const refusal =
        error instanceof ObjectTooLargeError || file.stream.truncated
          ? fileTooLarge(maxBytes)
          : error instanceof ApiError
            ? error
            : undefined;
      if (!refusal) throw error;
      this.metrics.uploadedFiles.inc({ outcome: 'rejected' });
      return { index: file.index, fileName: file.fileName, ...rejection(refusal) };
    }
  }

  /** Stores a small body from memory (see IN_MEMORY_UPLOAD_BYTES) and returns its bytes too; a larger one as a stream. */
  private async store(body: Readable, options: PutOptions): Promise<StoredObject & { bytes?: Buffer }> {
    const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const head: Buffer[] = [];
    let size = 0;
    while (size <= IN_MEMORY_UPLOAD_BYTES) {
      const next = await chunks.next();
      if (next.done) {
        // A file that arrived in one chunk is stored from that chunk (busboy hands out chunks it
        // will not reuse), without a copy.
        const bytes = head.length === 1 ? head[0]! : Buffer.concat(head, size);
        return { ...(await this.storage.putBuffer(bytes, options)), bytes };
      }
      head.push(next.value);
      size += next.value.length;
    }
    async function* everything(): AsyncGenerator<Buffer> {
      yield* head;
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
    }
    return this.storage.putStream(Readable.from(everything()), options);
  }
}

function withoutBytes(result: StagedRecording | RejectedFile): StagedRecording | RejectedFile {
  if (!('bytes' in result) || result.bytes === undefined) return result;
  const { bytes: _bytes, ...rest } = result;
  return rest;
}

/** Takes a stored key off the request's clean-up list: the caller may refer to it from now on. */
function handOver(createdObjects: StoredKey[], key: string): void {
  for (let i = createdObjects.length - 1; i >= 0; i--)
    if (createdObjects[i]!.storageKey === key) createdObjects.splice(i, 1);
}

function rejection(error: ApiError): Omit<RejectedFile, 'index' | 'fileName'> {
  return { statusCode: error.statusCode, code: error.code, message: error.message };
}
