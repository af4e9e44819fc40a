// HEAD, GET and PUT of one object over plain HTTP(S) with Signature V4: the calls every uploaded
// recording makes (the gateway's existence check and PUT, the worker's GET). The AWS SDK does the
// same with several times the CPU per call (its middleware stack, endpoint rules, a second sha256 of
// the body), which on the service path costs as much as the rest of the gateway. Everything else
// (multipart uploads, copies, listings, deletes, buckets, presigned URLs) stays on the SDK.
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { EMPTY_PAYLOAD_SHA256, encodeObjectPath, SignatureV4 } from './signature-v4';

export interface SignedObjectClientSettings {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  forcePathStyle: boolean;
}

export interface SignedObjectClientOptions {
  /** Tries per call, the first included (the SDK's standard retry mode: 3). */
  maxAttempts?: number;
  /** Base of the jittered exponential backoff between tries (the SDK's: 100 ms). */
  retryBaseDelayMs?: number;
}

/** S3 answered with an error status; `name` is S3's error code (NoSuchKey, AccessDenied...). */
export class S3ResponseError extends Error {
  readonly $metadata: { httpStatusCode: number };
  constructor(
    readonly code: string,
    message: string,
    statusCode: number,
  ) {
    super(message);
    this.name = code;
    this.$metadata = { httpStatusCode: statusCode };
  }
}

/** Socket and DNS failures: the way to the server, not the request, went wrong (worth another try). */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const MAXIMUM_RETRY_DELAY_MS = 20_000;

/** Bucket names S3 can address as a host name (the SDK's rule: dotted names only over plain HTTP). */
function isVirtualHostable(bucket: string, protocol: string): boolean {
  const labels = bucket.split('.');
  if (labels.length > 1 && protocol === 'https:') return false;
  return (
    bucket.length >= 3 &&
    bucket.length <= 63 &&
    labels.every((label) => /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(label)) &&
    isIP(bucket) === 0
  );
}

export interface ObjectAddressing {
  /** The host to connect to (the bucket's own in virtual-hosted style). */
  hostname: string;
  port: string;
  /** The Host header, port included when not the default. */
  hostHeader: string;
  /** Everything in a request's path before the encoded key: the endpoint's path, and the bucket in path style. */
  pathPrefix: string;
}

/**
 * Where a bucket's objects are addressed: virtual-hosted style (`bucket.host/key`) unless path style
 * is forced, the bucket cannot be a host name, or the endpoint is an IP address; then `host/bucket/key`.
 */
export function objectAddressing(
  settings: Pick<SignedObjectClientSettings, 'endpoint' | 'bucket' | 'forcePathStyle'>,
): ObjectAddressing {
  const endpoint = new URL(settings.endpoint);
  const basePath = endpoint.pathname.replace(/\/+$/, '');
  // An IPv6 literal is connected to without its brackets.
  const hostname = endpoint.hostname.replace(/^\[|\]$/g, '');
  const virtualHosted =
    !settings.forcePathStyle && isVirtualHostable(settings.bucket, endpoint.protocol) && isIP(hostname) === 0;
  return virtualHosted
    ? {
        hostname: `${settings.bucket}.${hostname}`,
        port: endpoint.port,
        hostHeader: `${settings.bucket}.${endpoint.host}`,
        pathPrefix: `${basePath}/`,
      }
    : {
        hostname,
        port: endpoint.port,
        hostHeader: endpoint.host,
        pathPrefix: `${basePath}/${encodeObjectPath(settings.bucket)}/`,
      };
}

function statusCode(text: string): string {
  return text.replace(/[^A-Za-z]/g, '') || 'UnknownError';
}

export class SignedObjectClient {
  private readonly signer: SignatureV4;
  private readonly transport: typeof http | typeof https;
  private readonly agent: http.Agent;
  private readonly address: ObjectAddressing;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;

  constructor(settings: SignedObjectClientSettings, options: SignedObjectClientOptions = {}) {
    this.signer = new SignatureV4(settings);
    this.transport = new URL(settings.endpoint).protocol === 'https:' ? https : http;
    // Like the SDK's handler: kept-alive sockets, at most 50 per host.
    this.agent = new this.transport.Agent({ keepAlive: true, maxSockets: 50 });
    this.address = objectAddressing(settings);
    this.maxAttempts = options.maxAttempts ?? 3;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 100;
  }

  /** The object's response headers, or undefined when it does not exist. */
  async head(key: string): Promise<IncomingHttpHeaders | undefined> {
    const response = await this.send('HEAD', key);
    response.resume();
    if (response.statusCode === 404) return undefined;
    if (response.statusCode !== 200) throw await responseError(response);
    return response.headers;
  }

  /** The object's body as it streams in; S3ResponseError with status 404 when it does not exist. */
  async get(key: string): Promise<IncomingMessage> {
    const response = await this.send('GET', key);
    if (response.statusCode !== 200) throw await responseError(response);
    return response;
  }

  /**
   * Stores `body` under `key`. `payloadSha256` is the body's hex sha256, which the caller has
   * already computed: it is signed, so S3 refuses a body that arrives different.
   */
  async put(
    key: string,
    body: Uint8Array,
    {
      payloadSha256,
      contentType,
      metadata = {},
    }: { payloadSha256: string; contentType: string; metadata?: Record<string, string> },
  ): Promise<void> {
    const headers: Record<string, string> = { 'content-type': contentType };
    for (const [name, value] of Object.entries(metadata)) headers[`x-amz-meta-${name.toLowerCase()}`] = value;
    const response = await this.send('PUT', key, { body, headers, payloadSha256 });
    if (response.statusCode !== 200) throw await responseError(response);
    response.resume();
  }

  /** Releases the kept-alive sockets. */
  close(): void {
    this.agent.destroy();
  }

  /** One call, tried again on network errors, 5xx and throttling (what the SDK retries). */
  private async send(
    method: 'HEAD' | 'GET' | 'PUT',
    key: string,
    {
      body,
      headers = {},
      payloadSha256 = EMPTY_PAYLOAD_SHA256,
    }: { body?: Uint8Array; headers?: Record<string, string>; payloadSha256?: string } = {},
  ): Promise<IncomingMessage> {
    const path = `${this.address.pathPrefix}${encodeObjectPath(key)}`;
    for (let attempt = 1; ; attempt++) {
      let response: IncomingMessage;
      try {
        const signed = this.signer.sign({
          method,
          path,
          headers: { ...headers, host: this.address.hostHeader },
          payloadSha256,
        });
        response = await this.request(
          method,
          path,
          {
            ...headers,
            host: this.address.hostHeader,
            ...signed,
            ...(body ? { 'content-length': String(body.byteLength) } : {}),
          },
          body,
        );
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (attempt >= this.maxAttempts || code === undefined || !NETWORK_ERROR_CODES.has(code)) throw error;
        await this.backOff(attempt);
        continue;
      }
      if (attempt < this.maxAttempts && RETRYABLE_STATUS.has(response.statusCode ?? 0)) {
        response.resume();
        await this.backOff(attempt);
        continue;
      }
      return response;
    }
  }

  private request(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: Uint8Array,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const request = this.transport.request(
        {
          method,
          hostname: this.address.hostname,
          port: this.address.port,
          path,
          headers,
          agent: this.agent,
        },
        resolve,
      );
      // Also errors after the answer (its body then fails on its own): never unhandled.
      request.on('error', reject);
      request.end(body);
    });
  }

  private backOff(attempt: number): Promise<void> {
    return sleep(
      Math.floor(Math.min(MAXIMUM_RETRY_DELAY_MS, Math.random() * 2 ** attempt * this.retryBaseDelayMs)),
    );
  }
}

/** S3's error document (`<Error><Code>...</Code><Message>...</Message>`), or the status for a HEAD. */
async function responseError(response: IncomingMessage): Promise<S3ResponseError> {
  const status = response.statusCode ?? 0;
  let text = '';
  try {
    for await (const chunk of response) {
      text += (chunk as Buffer).toString('utf8');
      if (text.length > 64 * 1024) break;
    }
  } catch {
    // The status says enough.
  }
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  return new S3ResponseError(
    code ?? (status === 404 ? 'NotFound' : statusCode(response.statusMessage ?? String(status))),
    message ?? `S3 answered ${status} ${response.statusMessage ?? ''}`.trim(),
    status,
  );
}
