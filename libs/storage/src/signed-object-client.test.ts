import { createHash } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { objectAddressing, S3ResponseError, SignedObjectClient } from './signed-object-client';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const servers: http.Server[] = [];
const clients: SignedObjectClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A stand-in S3 that answers each request with the next handler, recording what it was sent. */
async function fakeS3(...handlers: ((response: ServerResponse, request: IncomingMessage) => void)[]) {
  const seen: Seen[] = [];
  const server = http.createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    seen.push({
      method: request.method!,
      url: request.url!,
      headers: request.headers,
      body: Buffer.concat(chunks),
    });
    const handler = handlers[Math.min(seen.length, handlers.length) - 1]!;
    handler(response, request);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new SignedObjectClient(
    {
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      bucket: 'heartbeat',
      accessKeyId: 'key',
      secretAccessKey: 'secret',
      region: 'us-east-1',
      forcePathStyle: true,
    },
    { retryBaseDelayMs: 1 },
  );
  clients.push(client);
  return { client, seen };
}

const ok =
  (body = '') =>
  (response: ServerResponse) =>
    response.writeHead(200).end(body);
const s3Error = (status: number, code: string) => (response: ServerResponse) =>
  response
    .writeHead(status, { 'content-type': 'application/xml' })
    .end(`<?xml version="1.0"?><Error><Code>${code}</Code><Message>${code} happened</Message></Error>`);

describe('SignedObjectClient', () => {
  it('puts a body with its content type, metadata, signed payload hash and authorization', async () => {
    const { client, seen } = await fakeS3(ok());
    const body = Buffer.from('RIFF....WAVE');
    const sha256 = createHash('sha256').update(body).digest('hex');

    await client.put('recordings/abc', body, {
      payloadSha256: sha256,
      contentType: 'audio/wav',
      metadata: { sha256 },
    });

    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'PUT', url: '/heartbeat/recordings/abc', body });
    expect(seen[0]!.headers).toMatchObject({
      'content-type': 'audio/wav',
      'content-length': String(body.length),
      'x-amz-meta-sha256': sha256,
      'x-amz-content-sha256': sha256,
    });
    expect(seen[0]!.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=key\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-sha256, Signature=[0-9a-f]{64}$/,
    );
  });

  it('tries again after a 503 and after a dropped connection, then succeeds', async () => {
    const { client, seen } = await fakeS3(
      s3Error(503, 'SlowDown'),
      (response) => response.socket?.destroy(),
      ok('heart'),
    );

    const body = await client.get('recordings/abc');
    let text = '';
    for await (const chunk of body) text += String(chunk);

    expect(text).toBe('heart');
    expect(seen).toHaveLength(3);
  });

  it('gives up after three tries and reports the last answer', async () => {
    const { client, seen } = await fakeS3(s3Error(500, 'InternalError'));

    const failure = await client.get('recordings/abc').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(S3ResponseError);
    expect(failure).toMatchObject({ name: 'InternalError', $metadata: { httpStatusCode: 500 } });
    expect(seen).toHaveLength(3);
  });

  it('does not try again when S3 refuses the request', async () => {
    const { client, seen } = await fakeS3(s3Error(403, 'AccessDenied'));

    await expect(
      client.put('k', Buffer.from('x'), { payloadSha256: '0'.repeat(64), contentType: 'text/plain' }),
    ).rejects.toMatchObject({ name: 'AccessDenied', message: 'AccessDenied happened' });
    expect(seen).toHaveLength(1);
  });

  it('answers a HEAD of a missing object with undefined and of a present one with its headers', async () => {
    const { client } = await fakeS3(
      (response) => response.writeHead(404).end(),
      (response) => response.writeHead(200, { 'content-length': '5', 'x-amz-meta-sha256': 'abc' }).end(),
    );

    expect(await client.head('missing')).toBeUndefined();
    expect(await client.head('present')).toMatchObject({ 'content-length': '5', 'x-amz-meta-sha256': 'abc' });
  });
});

describe('objectAddressing', () => {
  const settings = {
    endpoint: 'https://s3.eu-west-1.amazonaws.com',
    bucket: 'heartbeat',
    forcePathStyle: false,
  };

  it('addresses the bucket as a host name unless path style is forced', () => {
    expect(objectAddressing(settings)).toEqual({
      hostname: 'heartbeat.s3.eu-west-1.amazonaws.com',
      port: '',
      hostHeader: 'heartbeat.s3.eu-west-1.amazonaws.com',
      pathPrefix: '/',
    });
    expect(objectAddressing({ ...settings, forcePathStyle: true })).toEqual({
      hostname: 's3.eu-west-1.amazonaws.com',
      port: '',
      hostHeader: 's3.eu-west-1.amazonaws.com',
      pathPrefix: '/heartbeat/',
    });
  });

  it('uses path style for an IP endpoint, a dotted bucket over HTTPS and a name that cannot be a host', () => {
    expect(objectAddressing({ ...settings, endpoint: 'http://127.0.0.1:4569' }).pathPrefix).toBe(
      '/heartbeat/',
    );
    expect(objectAddressing({ ...settings, endpoint: 'http://[::1]:4569' }).hostname).toBe('::1');
    expect(objectAddressing({ ...settings, bucket: 'heart.beat' }).pathPrefix).toBe('/heart.beat/');
    expect(objectAddressing({ ...settings, bucket: 'Heart_Beat' }).pathPrefix).toBe('/Heart_Beat/');
    expect(
      objectAddressing({ ...settings, endpoint: 'http://minio:9000', bucket: 'heart.beat' }).hostHeader,
    ).toBe('heart.beat.minio:9000');
  });

  it('keeps an endpoint path in front of the bucket', () => {
    expect(
      objectAddressing({ ...settings, endpoint: 'http://gateway:8080/s3/', forcePathStyle: true }).pathPrefix,
    ).toBe('/s3/heartbeat/');
  });
});
