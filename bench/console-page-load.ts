// Page load of the console's `/` and `/history` with 10,000 predictions in the database.
//   npm exec -- node -r @swc-node/register bench/console-page-load.ts [--predictions 10000] [--loads 20] [--no-build]
// Starts its own stack as the browser tests do (fresh database, Redis prefix and s3rver from
// test/integration-setup.ts; the gateway, an inference worker and the console with `next start`),
// inserts the predictions directly (30 days, three labels, a few failures, 12 window scores each),
// then times, per page and load: the server's full HTML answer (fetch with the session cookie) and
// Chromium's navigation until the `load` event (HTML, scripts, hydration, charts); and, for
// comparison, the gateway calls behind the pages on their own. The load average and this process
// tree's CPU time are printed with the figures (the machine is often shared).
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { connectDatabase, predictions as predictionsTable, recordings } from '@heartbeat/db';
import { loadConfig } from '@heartbeat/config';
import { readdirSync, readFileSync } from 'node:fs';
import setupIntegration from '../test/integration-setup';
import { BrowserStack } from '../apps/console/test/browser-stack';

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

const PREDICTIONS = argument('predictions', 10_000);
const LOADS = argument('loads', 20);
const BUILD = !process.argv.includes('--no-build');

/** CPU time (user + system, ms) of every live process under `root` (itself included) whose name matches. */
function treeCpuMs(root: number, name: RegExp = /./): number {
  const processes = new Map<number, { parent: number; name: string; cpu: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      processes.set(Number(entry), {
        parent: Number(fields[1]),
        name: comm,
        cpu: ((Number(fields[11]) + Number(fields[12])) * 1000) / 100,
      });
    } catch {
      // The process ended while /proc was read.
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid; p > 1; p = processes.get(p)?.parent ?? 0) if (p === root) return true;
    return false;
  };
  let total = 0;
  for (const [pid, info] of processes) if (inTree(pid) && name.test(info.name)) total += info.cpu;
  return total;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))];
}

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `p50 ${quantile(sorted, 0.5).toFixed(0)} ms, p95 ${quantile(sorted, 0.95).toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`;
}

async function seed(databaseUrl: string, count: number): Promise<void> {
  const connection = connectDatabase(databaseUrl, { poolSize: 2 });
  const now = Date.now();
  const labels = ['normal', 'normal', 'normal', 'abnormal', 'unsure'] as const;
  try {
    for (let start = 0; start < count; start += 1000) {
      const size = Math.min(1000, count - start);
      const made = await connection.db
        .insert(recordings)
        .values(
          Array.from({ length: size }, (_, i) => ({
            storageKey: `recordings/bench/${start + i}.flac`,
            sha256: `${(start + i).toString(16).padStart(64, '0')}`,
            originalFileName: `bench-${start + i}.flac`,
            format: 'flac',
            sampleRate: 2000,
            channels: 1,
            durationSeconds: 30,
            sizeBytes: 120_000,
          })),
        )
        .returning({ id: recordings.id });
      await connection.db.insert(predictionsTable).values(
        made.map(({ id }, i) => {
          const n = start + i;
          const failed = n % 97 === 0;
          const createdAt = new Date(now - ((n * 7919) % (30 * 86_400)) * 1000);
          const probability = ((n * 37) % 100) / 100;
          return {
            recordingId: id,
            status: failed ? ('failed' as const) : ('succeeded' as const),
            modelVersion: '1.6.0',
            label: failed ? null : labels[n % labels.length],
            probability: failed ? null : probability,
            qualityScore: failed ? null : 0.8,
            windowScores: failed
              ? null
              : Array.from({ length: 12 }, (_, w) => ({
                  startSeconds: w * 2.5,
                  endSeconds: w * 2.5 + 5,
                  probability,
                })),
            decision: failed
              ? null
              : { calibration: { slope: 1, intercept: 0 }, threshold: 0.5, minimumQuality: 0.3 },
            latencyMs: 40,
            errorCode: failed ? 'CORRUPT_AUDIO' : null,
            errorMessage: failed ? 'The file is not a readable FLAC stream.' : null,
            createdAt,
            completedAt: createdAt,
          };
        }),
      );
    }
  } finally {
    await connection.close();
  }
}

async function main(): Promise<void> {
  const provided: Record<string, Record<string, string>> = {};
  const teardown = await setupIntegration({
    provide: (key: string, value: Record<string, string>) => (provided[key] = value),
  } as never);
  const env = provided.integrationEnv;
  const stack = new BrowserStack({ env, build: BUILD });
  try {
    const seeding = performance.now();
    await seed(loadConfig(env).db.url, PREDICTIONS);
    console.log(
      `seeded ${PREDICTIONS} predictions in ${((performance.now() - seeding) / 1000).toFixed(1)} s`,
    );
    await stack.start();
    const context = await stack.browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${stack.consoleUrl}/sign-in`);
    await page.fill('#apiKey', stack.adminKey);
    await page.click('button[type=submit]');
    await page.waitForURL(`${stack.consoleUrl}/`);
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');

    const history = await (
      await fetch(`${stack.gatewayUrl}/visualizations/prediction-history?limit=1`, {
        headers: { authorization: `Bearer ${stack.adminKey}` },
      })
    ).json();
    console.log(`the gateway reports ${history.total} predictions`);
    console.log(
      `load average before timing: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );

    // The gateway calls behind the pages, alone (what the console waits for at best).
    const since = new Date(Date.now() - 3_600_000).toISOString();
    for (const call of [
      '/health',
      '/metrics',
      '/visualizations/prediction-history?limit=8',
      `/visualizations/prediction-history?limit=1&from=${since}`,
      '/visualizations/prediction-history?limit=25',
      '/api/v1/predictions/counts',
      '/api/v1/predictions/counts?modelVersion=1.6.0&bucket=day',
      '/api/v1/models',
    ]) {
      const times: number[] = [];
      for (let i = 0; i < LOADS; i++) {
        const started = performance.now();
        await (
          await fetch(`${stack.gatewayUrl}${call}`, {
            headers: { authorization: `Bearer ${stack.adminKey}` },
          })
        ).arrayBuffer();
        times.push(performance.now() - started);
      }
      console.log(`gateway ${call.replace(since, '<1 h ago>').padEnd(58)} ${summary(times)}`);
    }

    const consolePid = stack.services.get('console')!.child.pid!;
    const gatewayPid = stack.services.get('gateway')!.child.pid!;
    const cpu = () => ({
      browserConsole: 0,
      console: treeCpuMs(consolePid),
      gateway: treeCpuMs(gatewayPid),
      chromium: treeCpuMs(process.pid, /^chrom/i),
    });
    for (const path of ['/', '/history', '/history?label=abnormal&page=40', '/history?model=1.6.0']) {
      const server: number[] = [];
      const browser: number[] = [];
      const spent = { console: 0, gateway: 0, chromium: 0, browserConsole: 0 };
      let requests = 0;
      const kinds = new Map<string, number>();
      const countRequest = (request: { resourceType(): string }) => {
        requests++;
        kinds.set(request.resourceType(), (kinds.get(request.resourceType()) ?? 0) + 1);
      };
      page.on('request', countRequest);
      const add = (before: ReturnType<typeof cpu>, parts: (keyof typeof spent)[]) => {
        const after = cpu();
        for (const part of parts)
          spent[part] +=
            part === 'browserConsole' ? after.console - before.console : after[part] - before[part];
      };
      for (let i = 0; i < 3; i++)
        await fetch(`${stack.consoleUrl}${path}`, { headers: { cookie } }).then((r) => r.text());
      for (let i = 0; i < LOADS; i++) {
        let before = cpu();
        const started = performance.now();
        const response = await fetch(`${stack.consoleUrl}${path}`, { headers: { cookie } });
        await response.text();
        if (!response.ok) throw new Error(`${path} answered ${response.status}`);
        server.push(performance.now() - started);
        add(before, ['console', 'gateway']);
        before = cpu();
        const navigation = performance.now();
        await page.goto(`${stack.consoleUrl}${path}`, { waitUntil: 'load' });
        browser.push(performance.now() - navigation);
        // Requests the page makes by itself after `load` (route prefetches) still load the console.
        await page.waitForTimeout(500);
        add(before, ['chromium', 'browserConsole']);
      }
      page.off('request', countRequest);
      console.log(
        `${path.padEnd(32)} server HTML: ${summary(server)} | browser to load: ${summary(browser)} (${LOADS} loads)`,
      );
      console.log(
        `${''.padEnd(32)} CPU per load: console ${(spent.console / LOADS).toFixed(0)} ms, gateway ${(spent.gateway / LOADS).toFixed(0)} ms (server HTML); Chromium ${(spent.chromium / LOADS).toFixed(0)} ms and console ${(spent.browserConsole / LOADS).toFixed(0)} ms (navigation + 0.5 s, ${(requests / LOADS).toFixed(0)} requests: ${[
          ...kinds,
        ]
          .map(([kind, n]) => `${(n / LOADS).toFixed(0)} ${kind}`)
          .join(', ')}); load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}`,
      );
    }
  } finally {
    await stack.stop();
    await teardown();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
