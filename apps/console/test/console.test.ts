import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/free-port';
import { runToCompletion, startProcess, waitFor, type ServiceProcess } from '../../../test/real-stack';

const consoleDir = resolve(__dirname, '..');
const nextBin = join(consoleDir, '..', '..', 'node_modules', 'next', 'dist', 'bin', 'next');

describe('console (next build, next start)', () => {
  let server: ServiceProcess;
  let base: string;

  beforeAll(async () => {
    const env = { NEXT_TELEMETRY_DISABLED: '1' };
    await runToCompletion('next build', process.execPath, [nextBin, 'build'], { cwd: consoleDir, env });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = startProcess(
      'next start',
      process.execPath,
      [nextBin, 'start', '-p', String(port), '-H', '127.0.0.1'],
      { cwd: consoleDir, env },
    );
    await waitFor(
      'the console to answer /api/health',
      async () => (await fetch(`${base}/api/health`)).ok || undefined,
      { timeoutMs: 30_000, services: [server] },
    );
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('answers its health check', async () => {
    const response = await fetch(`${base}/api/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', service: 'console' });
  });

  it('sends a visitor without a session to the sign-in page', async () => {
    const response = await fetch(`${base}/history`, { redirect: 'manual' });
    expect([303, 307, 308]).toContain(response.status);
    expect(new URL(response.headers.get('location') ?? '', base).pathname).toBe('/sign-in');
  });

  it('serves a sign-in form that asks for the API key', async () => {
    const html = await (await fetch(`${base}/sign-in`)).text();
    expect(html).toContain('HeartBeat');
    expect(html).toMatch(/<input[^>]*type="password"[^>]*>/);
    expect(html).toContain('npm run api-key');
  });

  it('refuses to forward to the gateway without a session, and with a forged cookie', async () => {
    const id = '6f1c2f4e-8a9b-4c1d-9e2f-0a1b2c3d4e5f';
    const anonymous = await fetch(`${base}/api/gateway/api/v1/predictions/${id}`);
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).code).toBe('SIGNED_OUT');
    const forged = await fetch(`${base}/api/gateway/api/v1/predictions/${id}`, {
      headers: { cookie: 'hb_session=eyJhcGlLZXkiOiJoYl94In0' },
    });
    expect(forged.status).toBe(401);
  });

  it('forwards only the allow-listed gateway calls', async () => {
    const response = await fetch(`${base}/api/gateway/api/v1/api-keys`);
    expect(response.status).toBe(404);
    expect((await response.json()).message).toContain('does not forward');
  });

  it('refuses a cross-site write before looking at the session', async () => {
    const response = await fetch(`${base}/api/gateway/api/v1/batches`, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
      body: 'x',
    });
    expect(response.status).toBe(403);
  });
});
