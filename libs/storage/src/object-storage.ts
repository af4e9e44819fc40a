// The one door to object storage (S3, MinIO, s3rver). Recordings are stored under keys derived
// from their sha256, so uploading the same bytes twice stores them once.
import { createHash, randomUUID } from 'node:crypto';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  NETWORK_ERROR_CODES,
  S3ResponseError,
  SignedObjectClient,
  type SignedObjectClientSettings,
} from './signed-object-client';

/** Where the bucket is and how to sign for it. */
export type StorageSettings = SignedObjectClientSettings;

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified?: Date;
  contentType?: string;
  /** sha256 recorded in the object's metadata when it was stored through this class. */
  sha256?: string;
}

export interface StoredObject {
  key: string;
  sha256: string;
  size: number;
  /**
   * True when this call wrote the object. putStream checks first and is false when identical content
   * was already stored (its upload is discarded); putBuffer writes without checking, so true there
   * can also mean that it rewrote the same bytes over an earlier upload's object. Either way, delete
   * a key after a failure only once nothing else refers to it.
   */
  created: boolean;
}

export interface PutOptions {
  contentType?: string;
  /** Key prefix of the content-addressed key; default `recordings`. */
  prefix?: string;
  /** Abort with ObjectTooLargeError once more than this many bytes have been read. */
  maxBytes?: number;
}

export interface ListPage {
  objects: ObjectInfo[];
  /** Pass back as `continuationToken` to get the next page; undefined on the last page. */
  nextContinuationToken?: string;
}

/** The upload exceeded `maxBytes`; nothing was stored. */
export class ObjectTooLargeError extends Error {
  readonly code = 'OBJECT_TOO_LARGE';
  constructor(readonly maxBytes: number) {
    super(`Upload exceeds the limit of ${maxBytes} bytes`);
    this.name = 'ObjectTooLargeError';
  }
}

export class ObjectNotFoundError extends Error {
  readonly code = 'OBJECT_NOT_FOUND';
  constructor(readonly key: string) {
    super(`No object stored under "${key}"`);
    this.name = 'ObjectNotFoundError';
  }
}

/** Storage could not be reached or failed on its side (network error, timeout, 5xx); trying again later may work. */
export class StorageUnavailableError extends Error {
  readonly code = 'STORAGE_UNAVAILABLE';
  constructor(bucket: string, cause: unknown) {
    super(
      `Object storage (bucket "${bucket}") is unreachable: ${cause instanceof Error ? cause.message : String(cause)}. ` +
        'Check that the S3 server is running and that S3_ENDPOINT points at it.',
      { cause },
    );
    this.name = 'StorageUnavailableError';
  }
}

/** A failure of the storage service or the way to it, rather than a refusal of this request. */
function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, $metadata } = error as { code?: string; $metadata?: { httpStatusCode?: number } };
  return (
    (code !== undefined && NETWORK_ERROR_CODES.has(code)) ||
    ($metadata?.httpStatusCode ?? 0) >= 500 ||
    error.name === 'TimeoutError'
  );
}

// S3 rejects multipart parts under 5 MiB (s3rver does not, which would hide the bug in tests).
export const MULTIPART_PART_SIZE = 8 * 1024 * 1024;
const TEMPORARY_PREFIX = 'tmp/uploads/';
const SHA256_METADATA = 'sha256';

/** Content-addressed key for bytes with this sha256, e.g. `recordings/9f86d0...`. */
export function keyForSha256(sha256: string, prefix = 'recordings'): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`Not a lowercase hex sha256 digest: "${sha256}"`);
  return `${prefix.replace(/\/+$/, '')}/${sha256}`;
}

export function createS3Client(settings: StorageSettings): S3Client {
  const client = new S3Client({
    endpoint: settings.endpoint,
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
    // Only send checksums S3 insists on: s3rver and older MinIO reject the newer default trailers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  // Every call (multipart uploads included) reports storage out of reach as StorageUnavailableError;
  // the initialize step is the outermost, so this sees what is left after the SDK's own retries.
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        throw isUnavailable(error) ? new StorageUnavailableError(settings.bucket, error) : error;
      }
    },
    { step: 'initialize', name: 'storageUnavailable' },
  );
  return client;
}

function isNotFound(error: unknown): boolean {
  if (error instanceof S3ServiceException || error instanceof S3ResponseError) {
    return (
      error.$metadata.httpStatusCode === 404 || ['NotFound', 'NoSuchKey', 'NoSuchBucket'].includes(error.name)
    );
  }
  return false;
}

/** Hashes and counts the bytes flowing through it, and enforces an optional size limit. */
class HashingCounter extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  constructor(private readonly maxBytes?: number) {
    super();
  }
  get overflowed(): boolean {
    return this.maxBytes !== undefined && this.size > this.maxBytes;
  }
  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    done: (error?: Error | null, data?: Buffer) => void,
  ) {
    this.size += chunk.length;
    if (this.maxBytes !== undefined && this.size > this.maxBytes)
      return done(new ObjectTooLargeError(this.maxBytes));
    this.hash.update(chunk);
    done(null, chunk);
  }
}

/**
 * A Content-Disposition for saving a file under `fileName` (RFC 6266): an ASCII `filename` for old
 * clients (other characters, quotes, backslashes and control characters as "_") and the exact name
 * in `filename*` (RFC 5987, UTF-8, percent-encoded), which every current browser prefers.
 */
export function attachmentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export class ObjectStorage {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    /** The hot single-object calls (HEAD, GET, PUT of a buffer), without the SDK's per-call CPU. */
    private readonly objects: SignedObjectClient,
  ) {}

  static fromSettings(settings: StorageSettings): ObjectStorage {
    return new ObjectStorage(createS3Client(settings), settings.bucket, new SignedObjectClient(settings));
  }

  /** Storage out of reach (after the client's own retries) as StorageUnavailableError, as the SDK client reports it. */
  private unavailable(error: unknown): unknown {
    return isUnavailable(error) ? new StorageUnavailableError(this.bucket, error) : error;
  }

  /** Creates the bucket if it does not exist. */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      try {
        await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
      } catch (createError) {
        const name = (createError as Error).name;
        if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw createError;
      }
    }
  }

  /** True when storage answers and the bucket exists; for readiness probes. */
  async isReady(): Promise<boolean> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Streams `body` to storage under its content-addressed key, hashing on the way. The bytes go to a
   * temporary key first (the hash is only known at the end) and are then copied into place, or
   * dropped when that content is already stored.
   */
  async putStream(body: Readable, options: PutOptions = {}): Promise<StoredObject> {
    const counter = new HashingCounter(options.maxBytes);
    // One folder per upload: s3rver deletes a key's folder once it is empty, which races with
    // another upload writing into a shared folder (it crashed under concurrent uploads).
    const temporaryKey = `${TEMPORARY_PREFIX}${randomUUID()}/body`;
    const passThrough = new PassThrough();
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: temporaryKey, Body: passThrough, ContentType: options.contentType },
      partSize: MULTIPART_PART_SIZE,
      queueSize: 4,
      leavePartsOnError: false,
    });
    try {
      await Promise.all([pipeline(body, counter, passThrough), upload.done()]);
    } catch (error) {
      await upload.abort().catch(() => undefined);
      await this.delete(temporaryKey).catch(() => undefined);
      // The upload may fail first (its body was cut off), but the reason is the size.
      if (counter.overflowed) throw new ObjectTooLargeError(options.maxBytes!);
      throw error;
    }
    const sha256 = counter.hash.digest('hex');
    const key = keyForSha256(sha256, options.prefix);
    try {
      if (await this.head(key)) return { key, sha256, size: counter.size, created: false };
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: key,
          CopySource: `${this.bucket}/${encodeURIComponent(temporaryKey).replaceAll('%2F', '/')}`,
          MetadataDirective: 'REPLACE',
          Metadata: { [SHA256_METADATA]: sha256 },
          ContentType: options.contentType ?? 'application/octet-stream',
        }),
      );
      return { key, sha256, size: counter.size, created: true };
    } finally {
      // The bytes are stored by now; a leftover temporary object must not fail the upload.
      await this.delete(temporaryKey).catch(() => undefined);
    }
  }

  /**
   * Stores an in-memory buffer under its content-addressed key in one PUT. It does not ask first
   * whether the key is there (a HEAD per file was a third of the storage calls on the upload path):
   * the key is the hash of the content, so a second PUT of the same bytes stores the same object.
   */
  async putBuffer(body: Buffer | Uint8Array, options: PutOptions = {}): Promise<StoredObject> {
    if (options.maxBytes !== undefined && body.byteLength > options.maxBytes)
      throw new ObjectTooLargeError(options.maxBytes);
    const sha256 = createHash('sha256').update(body).digest('hex');
    const key = keyForSha256(sha256, options.prefix);
    await this.objects
      .put(key, body, {
        payloadSha256: sha256,
        contentType: options.contentType ?? 'application/octet-stream',
        metadata: { [SHA256_METADATA]: sha256 },
      })
      .catch((error: unknown) => {
        throw this.unavailable(error);
      });
    return { key, sha256, size: body.byteLength, created: true };
  }

  /** Stores bytes under a key the caller chooses (model artifacts, checkpoints), replacing any object there. */
  async putAt(
    key: string,
    body: Readable | Buffer | Uint8Array | string,
    { contentType }: { contentType?: string } = {},
  ): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: contentType ?? 'application/octet-stream',
      },
      partSize: MULTIPART_PART_SIZE,
      queueSize: 4,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  /**
   * Reads an object as a stream. Throws ObjectNotFoundError when the key does not exist (and, as
   * every method, StorageUnavailableError when storage cannot be reached).
   */
  async getStream(key: string): Promise<Readable> {
    try {
      return await this.objects.get(key);
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(key);
      throw this.unavailable(error);
    }
  }

  /** Reads a whole object into memory; for small objects such as a single recording. */
  async getBuffer(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of await this.getStream(key)) chunks.push(chunk as Buffer);
    } catch (error) {
      // The connection can also drop while the body streams in.
      if (isUnavailable(error)) throw new StorageUnavailableError(this.bucket, error);
      throw error;
    }
    return Buffer.concat(chunks);
  }

  /** Size, type and recorded sha256 of an object, or undefined when it does not exist. */
  async head(key: string): Promise<ObjectInfo | undefined> {
    let headers: Awaited<ReturnType<SignedObjectClient['head']>>;
    try {
      headers = await this.objects.head(key);
    } catch (error) {
      throw this.unavailable(error);
    }
    if (!headers) return undefined;
    const lastModified = headers['last-modified'];
    const metadata = headers[`x-amz-meta-${SHA256_METADATA}`];
    return {
      key,
      size: Number(headers['content-length'] ?? 0),
      lastModified: lastModified ? new Date(lastModified) : undefined,
      contentType: headers['content-type'],
      sha256: typeof metadata === 'string' ? metadata : undefined,
    };
  }

  /** Deletes an object; deleting a missing key is not an error. */
  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /** One page of the objects under `prefix`, in key order. */
  async list({
    prefix,
    limit = 1000,
    continuationToken,
  }: { prefix?: string; limit?: number; continuationToken?: string } = {}): Promise<ListPage> {
    const response = await this.client.send(
      new ListObjectsV2Command({
        Bucket: this.bucket,
        Prefix: prefix,
        MaxKeys: limit,
        ContinuationToken: continuationToken,
      }),
    );
    return {
      objects: (response.Contents ?? []).map((object) => ({
        key: object.Key!,
        size: object.Size ?? 0,
        lastModified: object.LastModified,
      })),
      nextContinuationToken: response.IsTruncated ? response.NextContinuationToken : undefined,
    };
  }

  /** Every object under `prefix`, fetching page after page. */
  async *listAll({
    prefix,
    pageSize = 1000,
  }: { prefix?: string; pageSize?: number } = {}): AsyncGenerator<ObjectInfo> {
    let continuationToken: string | undefined;
    do {
      const page = await this.list({ prefix, limit: pageSize, continuationToken });
      yield* page.objects;
      continuationToken = page.nextContinuationToken;
    } while (continuationToken);
  }

  /** A time-limited URL anyone can GET the object from; `downloadName` sets the saved file's name. */
  async presignedGetUrl(
    key: string,
    { expiresInSeconds = 900, downloadName }: { expiresInSeconds?: number; downloadName?: string } = {},
  ): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ResponseContentDisposition: downloadName ? attachmentDisposition(downloadName) : undefined,
    });
    return getSignedUrl(this.client, command, { expiresIn: expiresInSeconds });
  }

  /** Releases the clients' sockets. */
  close(): void {
    this.client.destroy();
    this.objects.close();
  }
}
