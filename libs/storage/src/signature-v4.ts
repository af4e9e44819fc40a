// AWS Signature Version 4 for S3 requests (header-based, one signing key per day), for the hot
// object calls that ObjectStorage makes without the AWS SDK: the SDK spends more CPU per small
// request (middleware, endpoint rules, a second hash of the body) than the service path can afford.
import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/** sha256 of an empty body, the payload hash of GET and HEAD. */
export const EMPTY_PAYLOAD_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** `s3` for every call here. */
  service?: string;
}

export interface RequestToSign {
  method: string;
  /** The path exactly as sent, already URI-encoded (see encodeObjectPath); no query string. */
  path: string;
  /** Header names in lower case; `host` included. */
  headers: Record<string, string>;
  /** Hex sha256 of the body (EMPTY_PAYLOAD_SHA256 without one). */
  payloadSha256: string;
}

/**
 * A key's path segment as S3 expects it in the canonical request and on the wire: every byte but
 * the unreserved characters (RFC 3986) percent-encoded, the slashes kept.
 */
export function encodeObjectPath(key: string): string {
  return encodeURIComponent(key)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll('%2F', '/');
}

/** `20130524T000000Z` */
export function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

export class SignatureV4 {
  private readonly service: string;
  private cachedDay = '';
  // A KeyObject, not the Buffer: Node 24 spends ~40 us turning a Buffer key into one on every HMAC.
  private cachedKey?: KeyObject;
  private lastSecond = NaN;
  private lastTimestamp = '';

  constructor(private readonly credentials: SigningCredentials) {
    this.service = credentials.service ?? 's3';
  }

  /**
   * The headers to add to `request` (x-amz-date, x-amz-content-sha256, authorization), signed for
   * `now`. Every header passed in is signed.
   */
  sign(request: RequestToSign, now: Date = new Date()): Record<string, string> {
    const second = Math.floor(now.getTime() / 1000);
    if (second !== this.lastSecond) {
      this.lastTimestamp = amzDate(now);
      this.lastSecond = second;
    }
    const timestamp = this.lastTimestamp;
    const day = timestamp.slice(0, 8);
    const headers: Record<string, string> = {
      ...request.headers,
      'x-amz-content-sha256': request.payloadSha256,
      'x-amz-date': timestamp,
    };
    const names = Object.keys(headers).sort();
    const canonicalHeaders = names
      .map((name) => `${name}:${headers[name]!.trim().replace(/\s+/g, ' ')}\n`)
      .join('');
    const signedHeaders = names.join(';');
    const canonicalRequest = [
      request.method,
      request.path,
      '', // no query string
      canonicalHeaders,
      signedHeaders,
      request.payloadSha256,
    ].join('\n');
    const scope = `${day}/${this.credentials.region}/${this.service}/aws4_request`;
    const stringToSign = [
      'AWS4-HMAC-SHA256',
      timestamp,
      scope,
      createHash('sha256').update(canonicalRequest).digest('hex'),
    ].join('\n');
    const signature = createHmac('sha256', this.signingKey(day)).update(stringToSign).digest('hex');
    return {
      'x-amz-content-sha256': request.payloadSha256,
      'x-amz-date': timestamp,
      authorization: `AWS4-HMAC-SHA256 Credential=${this.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    };
  }

  /** Derived once per day (the derivation is four HMACs). */
  private signingKey(day: string): KeyObject {
    if (day !== this.cachedDay || !this.cachedKey) {
      const dated = hmac(`AWS4${this.credentials.secretAccessKey}`, day);
      this.cachedKey = createSecretKey(
        hmac(hmac(hmac(dated, this.credentials.region), this.service), 'aws4_request'),
      );
      this.cachedDay = day;
    }
    return this.cachedKey;
  }
}
