import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayClient, GatewayError, queryString } from './gateway-client';

// A tiny HTTP server answering as the gateway does, so the client is tested over real HTTP.
let server: Server;
let base: string;
const seen: IncomingMessage[] = [];
const answers: Record<string, { status: number; body: unknown }> = {
  'admin-key': {
    status: 200,
    body: [
      {
        id: '1',
        name: 'ops',
        role: 'admin',
        keyPrefix: 'admin-k',
        createdAt: '',
        lastUsedAt: null,
        revokedAt: null,
      },
    ],
  },
  'screening-key': {
    status: 403,
    body: {
      statusCode: 403,
      code: 'FORBIDDEN_ROLE',
      message: 'This endpoint needs a key with the admin role; this key has the screening role.',
      details: { required: 'admin', role: 'screening' },
    },
  },
  'bad-key': {
    status: 401,
    body: {
      statusCode: 401,
      code: 'API_KEY_INVALID',
      message: 'The API key is not valid (unknown or revoked).',
    },
  },
};

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push(request);
    const key = (request.headers.authorization ?? '').replace(/^Bearer /, '');
    if (request.url === '/api/v1/api-keys') {
      const answer = answers[key];
      response
        .writeHead(answer.status, { 'content-type': 'application/json' })
        .end(JSON.stringify(answer.body));
    } else if (request.url?.startsWith('/visualizations/prediction-history')) {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ items: [], limit: 1, offset: 0, total: 0 }));
    } else response.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(() => new Promise<void>((done) => server.close(() => done())));

describe('gateway client', () => {
  it('identifies an admin key and its name', async () => {
    expect(await new GatewayClient({ baseUrl: base, apiKey: 'admin-key' }).identify()).toEqual({
      role: 'admin',
      name: 'ops',
    });
  });

  it('identifies a screening key from the role the gateway names in its 403', async () => {
    expect(await new GatewayClient({ baseUrl: base, apiKey: 'screening-key' }).identify()).toEqual({
      role: 'screening',
      name: null,
    });
  });

  it('turns an unknown key into a GatewayError with the gateway code', async () => {
    await expect(new GatewayClient({ baseUrl: base, apiKey: 'bad-key' }).identify()).rejects.toMatchObject({
      status: 401,
      code: 'API_KEY_INVALID',
    });
  });

  it('sends the key and the query on reads', async () => {
    await new GatewayClient({ baseUrl: `${base}/`, apiKey: 'screening-key' }).predictionHistory({
      label: 'abnormal',
      limit: 1,
      from: undefined,
    });
    const request = seen.at(-1);
    expect(request?.url).toBe('/visualizations/prediction-history?label=abnormal&limit=1');
    expect(request?.headers.authorization).toBe('Bearer screening-key');
  });

  it('asks for prediction counts and validation curves at their paths, leaving out unset filters', async () => {
    const client = new GatewayClient({ baseUrl: base, apiKey: 'k' });
    // This test server answers 502 to both; only the requests matter here.
    await client
      .predictionCounts({ modelVersion: '1.6.0', bucket: 'day', label: undefined })
      .catch(() => null);
    expect(seen.at(-1)?.url).toBe('/api/v1/predictions/counts?modelVersion=1.6.0&bucket=day');
    await client.validationCurves('1.6.0+site a').catch(() => null);
    expect(seen.at(-1)?.url).toBe('/api/v1/models/1.6.0%2Bsite%20a/validation-curves');
  });

  it('reports a non-JSON error with its status', async () => {
    const error = await new GatewayClient({ baseUrl: base }).health().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 502, code: 'HTTP_502' });
  });

  it('says how to fix a gateway that does not answer', async () => {
    const error = (await new GatewayClient({ baseUrl: 'http://127.0.0.1:9' })
      .health()
      .catch((e: unknown) => e)) as GatewayError;
    expect(error.unreachable).toBe(true);
    expect(error.code).toBe('GATEWAY_UNREACHABLE');
    expect(error.message).toContain('HEARTBEAT_GATEWAY_URL');
  });

  it('leaves out empty query values', () => {
    expect(queryString({ a: 1, b: undefined, c: '' })).toBe('?a=1');
    expect(queryString({})).toBe('');
  });
});
