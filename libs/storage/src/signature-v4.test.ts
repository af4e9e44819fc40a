import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EMPTY_PAYLOAD_SHA256, encodeObjectPath, SignatureV4 } from './signature-v4';

// The worked examples of the S3 documentation ("Signature Calculations for the Authorization Header").
const EXAMPLE = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
};
const MAY_24_2013 = new Date('2013-05-24T00:00:00Z');

describe('SignatureV4', () => {
  it('signs the documented GET Object example to the documented signature', () => {
    const signed = new SignatureV4(EXAMPLE).sign(
      {
        method: 'GET',
        path: '/test.txt',
        headers: { host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9' },
        payloadSha256: EMPTY_PAYLOAD_SHA256,
      },
      MAY_24_2013,
    );

    expect(signed).toEqual({
      'x-amz-content-sha256': EMPTY_PAYLOAD_SHA256,
      'x-amz-date': '20130524T000000Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    });
  });

  it('signs the documented PUT Object example, whose key needs encoding, to the documented signature', () => {
    const body = 'Welcome to Amazon S3.';
    const signed = new SignatureV4(EXAMPLE).sign(
      {
        method: 'PUT',
        path: `/${encodeObjectPath('test$file.text')}`,
        headers: {
          date: 'Fri, 24 May 2013 00:00:00 GMT',
          host: 'examplebucket.s3.amazonaws.com',
          'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        },
        payloadSha256: createHash('sha256').update(body).digest('hex'),
      },
      MAY_24_2013,
    );

    expect(signed.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, ' +
        'Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
    );
  });

  it('derives a new signing key when the day changes', () => {
    const signer = new SignatureV4(EXAMPLE);
    const request = {
      method: 'GET',
      path: '/a',
      headers: { host: 'h' },
      payloadSha256: EMPTY_PAYLOAD_SHA256,
    };
    const nextDay = signer.sign(request, new Date('2013-05-25T00:00:00Z')).authorization;

    signer.sign(request, MAY_24_2013);

    expect(signer.sign(request, new Date('2013-05-25T00:00:00Z')).authorization).toBe(nextDay);
    expect(nextDay).toContain('/20130525/');
  });
});

describe('encodeObjectPath', () => {
  it('keeps slashes and unreserved characters and percent-encodes everything else as UTF-8', () => {
    expect(encodeObjectPath("recordings/a b+c!'()*~._-ü")).toBe(
      'recordings/a%20b%2Bc%21%27%28%29%2A~._-%C3%BC',
    );
  });
});

const toBytes = (data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

describe('SignatureV4 against the AWS SDK signer', () => {
  it('signs what the SDK signs for object keys, headers and dates of every kind', async () => {
    const { SignatureV4: SdkSigner } = await import('@smithy/signature-v4');
    class NodeSha256 {
      private readonly hash;
      constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
        this.hash = secret ? createHmac('sha256', toBytes(secret)) : createHash('sha256');
      }
      update(data: string | ArrayBuffer | ArrayBufferView) {
        this.hash.update(toBytes(data));
      }
      digest() {
        return Promise.resolve(new Uint8Array(this.hash.digest()));
      }
    }
    const sdk = new SdkSigner({
      credentials: EXAMPLE,
      region: 'eu-central-1',
      service: 's3',
      sha256: NodeSha256,
      uriEscapePath: false,
      applyChecksum: true,
    });
    const ours = new SignatureV4({ ...EXAMPLE, region: 'eu-central-1' });
    const cases = [
      { key: 'recordings/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', method: 'PUT' },
      { key: "models/v 1+2 (ü)/weights*.onnx!'~", method: 'GET' },
      { key: 'tmp/uploads/0b7e/body', method: 'HEAD' },
    ];
    for (const [i, { key, method }] of cases.entries()) {
      const when = new Date(Date.UTC(2026, 11, 7 + i, 23, 59, 59));
      const path = `/heartbeat/${encodeObjectPath(key)}`;
      const payloadSha256 = createHash('sha256').update(key).digest('hex');
      const headers = {
        host: '127.0.0.1:4569',
        'content-type': 'audio/x-flac',
        'x-amz-meta-sha256': payloadSha256,
      };
      const expected = await sdk.sign(
        {
          method,
          protocol: 'http:',
          hostname: '127.0.0.1',
          port: 4569,
          path,
          query: {},
          headers: { ...headers, 'x-amz-content-sha256': payloadSha256 },
        },
        { signingDate: when },
      );

      expect(ours.sign({ method, path, headers, payloadSha256 }, when).authorization).toBe(
        expected.headers.authorization,
      );
    }
  });
});
