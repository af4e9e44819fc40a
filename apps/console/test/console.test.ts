import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const consoleDir = resolve(__dirname, '..');
const nextBin = join(consoleDir, '..', '..', 'node_modules', 'next', 'dist', 'bin', 'next');

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

describe('console', () => {
  let server: ReturnType<typeof spawn>;
  let base: string;

  beforeAll(async () => {
    execFileSync(process.execPath, [nextBin, 'build'], { cwd: consoleDir, stdio: 'pipe', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, [nextBin, 'start', '-p', String(port), '-H', '127.0.0.1'], {
      cwd: consoleDir,
      stdio: 'ignore',
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    });
    for (let attempt = 0; attempt < 120; attempt++) {
      try {
        if ((await fetch(`${base}/api/health`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((wait) => setTimeout(wait, 250));
    }
    throw new Error('the console did not answer /api/health within 30 s');
  });

  afterAll(() => {
    server?.kill('SIGTERM');
  });

  it('answers its health check', async () => {
    const response = await fetch(`${base}/api/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', service: 'console' });
  });

  it('serves its start page with a link to the API documentation', async () => {
    const html = await (await fetch(base)).text();
    expect(html).toContain('HeartBeat');
    expect(html).toContain('/docs');
  });
});
