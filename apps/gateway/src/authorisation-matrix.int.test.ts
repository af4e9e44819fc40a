// Who may call what, for every route the gateway serves: the routes come from its own OpenAPI
// document, each must have a rule below (a route added without one fails), and each is called with
// no key, a malformed key, a revoked key, an expired key, a screening key and an admin key on the
// real PostgreSQL and Redis of the integration run. Every answer is also checked for security
// headers, closed CORS, and no stack trace or internal path. Then key expiry and rotation, CORS
// when configured, and 429 with Retry-After.
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '@heartbeat/config';
import { ApiKeysService } from './auth/api-keys.service';
import type { AccessLevel } from './auth/principal';
import { buildOpenApiDocument, createGatewayApp } from './gateway-app';
import { ownDatabaseEnv } from '../../../test/own-database';

/** The access level each route must have. Keep in step with the controllers' @Access. */
const RULES: Record<string, AccessLevel> = {
  'GET /health': 'public',
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  'GET /uptime': 'public',
  'POST /predict': 'screening',
  'POST /batch-predict': 'screening',
  'POST /upload-training-data': 'screening',
  'POST /retrain': 'admin',
  'GET /training-status': 'read',
  'GET /metrics': 'read',
  'GET /visualizations/prediction-history': 'read',
  'GET /visualizations/class-distribution': 'read',
  'POST /api/v1/batches': 'screening',
  'GET /api/v1/batches/{id}': 'read',
  'GET /api/v1/batches/{id}/results': 'read',
  'GET /api/v1/predictions/counts': 'read',
  'GET /api/v1/predictions/{id}': 'read',
  'GET /api/v1/recordings/{id}/download': 'recording',
  'GET /api/v1/dead-letter': 'admin',
  'POST /api/v1/training-data': 'screening',
  'POST /api/v1/training-runs': 'admin',
  'GET /api/v1/training-runs': 'read',
  'GET /api/v1/training-status': 'read',
  'GET /api/v1/training-runs/{id}': 'read',
  'POST /api/v1/training-runs/{id}/cancel': 'admin',
  'GET /api/v1/models': 'read',
  'POST /api/v1/models/rollback': 'admin',
  'GET /api/v1/models/{version}': 'read',
  'GET /api/v1/models/{version}/validation-curves': 'read',
  'POST /api/v1/models/{version}/promote': 'admin',
  'POST /api/v1/models/{version}/retire': 'admin',
  'POST /api/v1/sites': 'admin',
  'GET /api/v1/sites': 'read',
  'GET /api/v1/sites/{name}': 'read',
  'PATCH /api/v1/sites/{name}': 'admin',
  'GET /api/v1/sites/{name}/calibration': 'read',
  'GET /api/v1/sites/{name}/calibrations': 'read',
  'POST /api/v1/sites/{name}/calibrations': 'admin',
  'POST /api/v1/site-calibrations': 'admin',
  'PUT /api/v1/api-keys/{id}/site': 'admin',
  'POST /api/v1/api-keys': 'admin',
  'GET /api/v1/api-keys': 'admin',
  'POST /api/v1/api-keys/{id}/rotate': 'admin',
  'DELETE /api/v1/api-keys/{id}': 'admin',
  'DELETE /api/v1/recordings/{id}': 'admin',
  'GET /api/v1/audit-events': 'admin',
};

type Caller = 'no key' | 'malformed key' | 'revoked key' | 'expired key' | 'screening key' | 'admin key';
const CALLERS: Caller[] = [
  'no key',
  'malformed key',
  'revoked key',
  'expired key',
  'screening key',
  'admin key',
];

/** The status a caller must get: an exact 401/403, or 'allowed' (anything the route itself answers, never 401, 403 or 5xx). */
function expected(level: AccessLevel, caller: Caller): 401 | 403 | 'allowed' {
  if (level === 'public') return 'allowed';
  if (
    caller === 'no key' ||
    caller === 'malformed key' ||
    caller === 'revoked key' ||
    caller === 'expired key'
  )
    return 401;
  if (level === 'admin' && caller === 'screening key') return 403;
  return 'allowed';
}

/** Stack frames, source files, or this machine's paths in a response body. */
const LEAK = /\n\s+at\s|node_modules|\/work\/|apps\/gateway|libs\/[a-z-]+\/src|\.ts:\d+|\.js:\d+/;

interface Running {
  app: NestExpressApplication;
  base: string;
  config: Config;
}

/**
 * Its own database: the matrix's admin calls really run, so POST /retrain queues a training run no
 * worker takes, and the rollback may change which version is promoted.
 */
let env: Record<string, string>;

async function start(overrides: Record<string, string>): Promise<Running> {
  const config = loadConfig({
    ...env,
    QUEUE_PREFIX: `${env.QUEUE_PREFIX}:authz${Math.random().toString(36).slice(2, 6)}`,
    PUBLIC_READS: 'false',
    ...overrides,
  });
  const app = await createGatewayApp(config, { logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, config, base: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}` };
}

let gateway: Running;
const secrets = {} as Record<Caller, string | undefined>;

beforeAll(async () => {
  env = await ownDatabaseEnv();
  gateway = await start({ RATE_LIMIT_PER_MINUTE: '1000000' });
  const keys = gateway.app.get(ApiKeysService);
  secrets['no key'] = undefined;
  secrets['malformed key'] = 'not a key at all';
  const revoked = await keys.create({ role: 'admin', name: 'authz-revoked' });
  await keys.revoke(revoked.apiKey.id);
  secrets['revoked key'] = revoked.secret;
  const expiring = await keys.create({
    role: 'admin',
    name: 'authz-expired',
    expiresAt: new Date(Date.now() + 300),
  });
  secrets['expired key'] = expiring.secret;
  secrets['screening key'] = (await keys.create({ role: 'screening', name: 'authz-screening' })).secret;
  secrets['admin key'] = (await keys.create({ role: 'admin', name: 'authz-admin' })).secret;
  await new Promise((resolve) => setTimeout(resolve, 400));
});

afterAll(async () => {
  await gateway?.app.close();
});

function concretePath(template: string): string {
  return template
    .replace(/\{version\}/g, '9.9.9')
    .replace(/\{name\}/g, 'no-such-site')
    .replace(/\{[^}]+\}/g, randomUUID());
}

async function call(method: string, path: string, secret: string | undefined) {
  const response = await fetch(`${gateway.base}${path}`, {
    method,
    headers: {
      Origin: 'https://evil.example',
      ...(secret === undefined ? {} : { Authorization: `Bearer ${secret}` }),
      ...(method === 'GET' || method === 'DELETE' ? {} : { 'Content-Type': 'application/json' }),
    },
    body: method === 'GET' || method === 'DELETE' ? undefined : '{}',
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

describe('the authorisation matrix', () => {
  it('has a rule for every route of the OpenAPI document, and no rule for a route that is gone', () => {
    const routes = Object.entries(buildOpenApiDocument(gateway.app).paths).flatMap(([path, operations]) =>
      Object.keys(operations)
        .filter((method) => ['get', 'post', 'put', 'patch', 'delete', 'head'].includes(method))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(
      routes.filter((route) => !(route in RULES)),
      'routes without a rule in RULES',
    ).toEqual([]);
    expect(
      Object.keys(RULES).filter((route) => !routes.includes(route)),
      'rules for routes that are gone',
    ).toEqual([]);
  });

  it('answers every route as its rule says, for every kind of caller, with no leak and closed CORS', async () => {
    const failures: string[] = [];
    let cells = 0;
    for (const [route, level] of Object.entries(RULES)) {
      const [method, template] = route.split(' ') as [string, string];
      const path = concretePath(template);
      for (const caller of CALLERS) {
        const answer = await call(method, path, secrets[caller]);
        cells++;
        const want = expected(level, caller);
        const cell = `${route} with ${caller}: ${answer.status} ${answer.body.slice(0, 160)}`;
        if (
          want === 'allowed'
            ? [401, 403].includes(answer.status) || answer.status >= 500
            : answer.status !== want
        )
          failures.push(`expected ${want}: ${cell}`);
        if (want === 401 && !/"code":"API_KEY_(MISSING|INVALID)"/.test(answer.body))
          failures.push(`401 without its code: ${cell}`);
        if (want === 403 && !answer.body.includes('"code":"FORBIDDEN_ROLE"'))
          failures.push(`403 without its code: ${cell}`);
        if (LEAK.test(answer.body)) failures.push(`leaks internals: ${cell}`);
        if (
          answer.headers.get('x-content-type-options') !== 'nosniff' ||
          !answer.headers.get('content-security-policy')
        )
          failures.push(`no security headers: ${cell}`);
        if (answer.headers.get('access-control-allow-origin') !== null) failures.push(`CORS open: ${cell}`);
        if (answer.headers.get('x-powered-by') !== null) failures.push(`x-powered-by sent: ${cell}`);
      }
    }
    expect(failures).toEqual([]);
    expect(cells).toBe(Object.keys(RULES).length * CALLERS.length);
    // For docs/reliability.md (npm run reliability:report).
    const out = path.resolve(__dirname, '../../../tmp/reliability');
    mkdirSync(out, { recursive: true });
    const byLevel: Record<string, number> = {};
    for (const level of Object.values(RULES)) byLevel[level] = (byLevel[level] ?? 0) + 1;
    writeFileSync(
      path.join(out, 'authorisation-matrix.json'),
      JSON.stringify(
        {
          at: new Date().toISOString(),
          routes: Object.keys(RULES).length,
          callers: CALLERS,
          cells,
          routesByLevel: byLevel,
          failures: failures.length,
        },
        null,
        2,
      ),
    );
  });
});

describe('API key expiry and rotation', () => {
  it('refuses a key after its expiry, and a key created with a past expiry', async () => {
    const keys = gateway.app.get(ApiKeysService);
    const soon = await keys.create({
      role: 'screening',
      name: 'expires-soon',
      expiresAt: new Date(Date.now() + 1500),
    });
    expect((await call('GET', '/api/v1/models', soon.secret)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect((await call('GET', '/api/v1/models', soon.secret)).status).toBe(401);

    const past = await fetch(`${gateway.base}/api/v1/api-keys`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${secrets['admin key']}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'too-late', role: 'screening', expiresAt: '2020-01-01T00:00:00Z' }),
    });
    expect(past.status).toBe(400);
    expect(await past.json()).toMatchObject({ code: 'API_KEY_EXPIRY_PAST' });
  });

  it('rotates a key: the new secret works at once, the old one only for the grace period', async () => {
    const keys = gateway.app.get(ApiKeysService);
    const old = await keys.create({ role: 'screening', name: 'ward-9' });
    const rotate = (graceSeconds: number, id = old.apiKey.id) =>
      fetch(`${gateway.base}/api/v1/api-keys/${id}/rotate`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${secrets['admin key']}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ graceSeconds }),
      });
    const withGrace = await rotate(3600);
    expect(withGrace.status).toBe(201);
    const first = await withGrace.json();
    expect(first.apiKey).toMatchObject({ name: 'ward-9', role: 'screening' });
    expect(Date.parse(first.replaced.expiresAt) - Date.now()).toBeGreaterThan(3500_000);
    expect((await call('GET', '/api/v1/models', first.secret)).status).toBe(200);
    expect((await call('GET', '/api/v1/models', old.secret)).status).toBe(200);

    // Rotating the new key with no grace ends it at once (past the 10-s cache, which rotation clears).
    const now = await (await rotate(0, first.apiKey.id)).json();
    expect((await call('GET', '/api/v1/models', first.secret)).status).toBe(401);
    expect((await call('GET', '/api/v1/models', now.secret)).status).toBe(200);
    expect((await rotate(0, first.apiKey.id)).status).toBe(404);
  });
});

describe('CORS when configured, and rate limits', () => {
  let limited: Running;
  beforeAll(async () => {
    limited = await start({ RATE_LIMIT_PER_MINUTE: '3', CORS_ORIGINS: 'https://console.example.org' });
  });
  afterAll(async () => {
    await limited?.app.close();
  });

  it('lets only the configured origin call cross-origin', async () => {
    const preflight = (origin: string) =>
      fetch(`${limited.base}/api/v1/models`, {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'GET',
          'Access-Control-Request-Headers': 'authorization',
        },
      });
    expect((await preflight('https://console.example.org')).headers.get('access-control-allow-origin')).toBe(
      'https://console.example.org',
    );
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers 429 RATE_LIMITED with Retry-After once a key has used its requests for the minute', async () => {
    const key = (await limited.app.get(ApiKeysService).create({ role: 'screening', name: 'busy' })).secret;
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) {
      last = await fetch(`${limited.base}/api/v1/models`, { headers: { Authorization: `Bearer ${key}` } });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const retryAfter = Number(last!.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(await last!.json()).toMatchObject({
      statusCode: 429,
      code: 'RATE_LIMITED',
      details: { retryAfterSeconds: retryAfter },
    });
    // Another key has its own budget.
    const other = (await limited.app.get(ApiKeysService).create({ role: 'screening', name: 'calm' })).secret;
    expect(
      (await fetch(`${limited.base}/api/v1/models`, { headers: { Authorization: `Bearer ${other}` } }))
        .status,
    ).toBe(200);
  });
});
