// The load half of `npm run bench:soak` (bench/soak.sh starts the private stack and calls this):
// N minutes of steady screening at the rate the stack sustains (a fixed number of batches in flight,
// the next one submitted as soon as one completes, so the rate is whatever the stack keeps up with)
// plus a /predict stream (autocannon, one client by default) for the same N minutes. Reports
// recordings screened per minute, every error (batch not accepted, recording failed, /predict not
// 200, time-outs), /predict p50/p99, the gateway's event-loop lag (its /metrics, scraped every 10 s)
// and the resident memory of every process of the stack each minute, start against end. The same load
// runs for a warm-up minute first, so "start" is a running stack's memory, not a cold one's.
//   node -r @swc-node/register bench/soak.ts --url URL --key KEY --gateway-metrics URL
//     --pids gateway=PID,inference-worker=PID,... [--minutes 10] [--batch 20] [--in-flight 2]
//     [--predict-clients 1] [--warmup-minutes 1] [--out tmp/reliability/soak.json]
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { machineLoad, procCpuMs } from './process-cpu';

const ROOT = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const option = (name: string, fallback?: string): string | undefined =>
  args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback;
const url = option('url', 'http://127.0.0.1:8000')!;
const key = option('key', process.env.HEARTBEAT_BOOTSTRAP_API_KEY);
const minutes = Number(option('minutes', '10'));
const warmupMinutes = Number(option('warmup-minutes', '1'));
const batchSize = Number(option('batch', '20'));
const inFlight = Number(option('in-flight', '2'));
const predictClients = Number(option('predict-clients', '1'));
const gatewayMetrics = option('gateway-metrics');
const out = path.resolve(ROOT, option('out', 'tmp/reliability/soak.json')!);
const data = option('data', path.resolve(ROOT, '../shared/data/physionet2016'))!;
const pids = Object.fromEntries(
  (option('pids', '') ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => pair.split('=') as [string, string])
    .map(([name, pid]) => [name, Number(pid)]),
);
if (!key) throw new Error('Pass --key <api-key> (or set HEARTBEAT_BOOTSTRAP_API_KEY)');
if (!(minutes > 0)) throw new Error('--minutes must be a positive number');
const auth = { Authorization: `Bearer ${key}` };

/** The shared recordings, round-robin over training-a..e, so every database is represented. */
function recordings(): string[] {
  const subsets = readdirSync(data)
    .filter((name) => name.startsWith('training-'))
    .sort()
    .map((name) =>
      readdirSync(path.join(data, name))
        .filter((file) => file.endsWith('.flac'))
        .sort()
        .map((file) => path.join(data, name, file)),
    );
  const picked: string[] = [];
  for (let i = 0; subsets.some((subset) => i < subset.length); i++)
    for (const subset of subsets) if (i < subset.length) picked.push(subset[i]!);
  return picked;
}

// --- resident memory of the stack's processes (/proc, Linux) ---
const rssKb = (pid: number): number => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0; // the process has gone
  }
};
const childrenOf = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
};
/** MB per process; the inference worker's model processes each on their own, PostgreSQL's backends summed. */
function memorySnapshot(): Record<string, number> {
  const snapshot: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    snapshot[name] = rssKb(pid) / 1024;
    if (name === 'inference-worker')
      childrenOf(pid)
        .sort((a, b) => a - b)
        .forEach(
          (child, index) => (snapshot[`inference-worker/model-process-${index}`] = rssKb(child) / 1024),
        );
    if (name === 'postgres')
      snapshot['postgres/backends'] = childrenOf(pid).reduce((sum, child) => sum + rssKb(child), 0) / 1024;
  }
  return snapshot;
}
const cpuMs = (pid: number): number => {
  try {
    return procCpuMs(pid).own;
  } catch {
    return 0;
  }
};
/** CPU ms per process; the inference worker's model processes counted with it. */
const cpuSnapshot = (): Record<string, number> =>
  Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [
      name,
      cpuMs(pid) +
        (name === 'inference-worker' ? childrenOf(pid).reduce((sum, child) => sum + cpuMs(child), 0) : 0),
    ]),
  );
/** Our own processes, which the RSS goal is about; PostgreSQL, Redis and s3rver hold data by design. */
const isOwnProcess = (name: string): boolean => name === 'gateway' || name.startsWith('inference-worker');

// --- the gateway's event-loop lag, from its Prometheus metrics ---
const lagSamples: { p99: number; max: number; mean: number }[] = [];
/** The gateway's V8 heap in use and memory outside it, to tell a leak (heap climbing) from a larger RSS. */
const gatewayHeap: {
  minute: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  rssMb: number;
}[] = [];
async function scrapeHeap(minute: number): Promise<void> {
  if (!gatewayMetrics) return;
  const text = await (await fetch(gatewayMetrics)).text();
  const mb = (name: string) =>
    Number(
      (Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)?.[1]) / 2 ** 20).toFixed(
        1,
      ),
    );
  gatewayHeap.push({
    minute,
    heapUsedMb: mb('nodejs_heap_size_used_bytes'),
    heapTotalMb: mb('nodejs_heap_size_total_bytes'),
    externalMb: mb('nodejs_external_memory_bytes'),
    rssMb: mb('process_resident_memory_bytes'),
  });
}
async function scrapeLag(): Promise<void> {
  if (!gatewayMetrics) return;
  const text = await (await fetch(gatewayMetrics)).text();
  const value = (name: string) =>
    Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)?.[1]);
  const sample = {
    p99: value('nodejs_eventloop_lag_p99_seconds') * 1000,
    max: value('nodejs_eventloop_lag_max_seconds') * 1000,
    mean: value('nodejs_eventloop_lag_mean_seconds') * 1000,
  };
  if (Number.isFinite(sample.p99)) lagSamples.push(sample);
}

// --- steady screening: `inFlight` batches at a time, each the next `batchSize` recordings ---
const errors: { at: string; what: string }[] = [];
const noteError = (what: string) => {
  errors.push({ at: new Date().toISOString(), what });
  console.error(`soak error: ${what}`);
};
let screened = 0;
let batchesDone = 0;
const batchSeconds: number[] = [];

async function screenOneBatch(files: string[]): Promise<void> {
  const started = performance.now();
  const body = new FormData();
  for (const file of files)
    body.append('files', new Blob([new Uint8Array(readFileSync(file))]), path.basename(file));
  const response = await fetch(`${url}/api/v1/batches`, { method: 'POST', headers: auth, body });
  const created = (await response.json()) as { statusUrl?: string; files?: { status: string }[] };
  if (response.status !== 202 || !created.statusUrl) {
    noteError(`batch not accepted: ${response.status} ${JSON.stringify(created).slice(0, 200)}`);
    return;
  }
  const rejected = created.files?.filter((file) => file.status === 'rejected').length ?? 0;
  if (rejected > 0) noteError(`${rejected} files of a batch rejected at intake`);
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const status = await fetch(`${url}${created.statusUrl}`, { headers: auth })
      .then((r) => r.json() as Promise<{ status: string; succeeded: number; failed: number }>)
      .catch((error: Error) => {
        noteError(`batch status unreadable: ${error.message}`);
        return undefined;
      });
    if (status && (status.status === 'completed' || status.status === 'failed')) {
      screened += status.succeeded;
      if (status.failed > 0) noteError(`${status.failed} recordings of a batch failed`);
      if (status.status === 'failed') noteError('a batch ended failed');
      batchesDone++;
      batchSeconds.push((performance.now() - started) / 1000);
      return;
    }
    if (Date.now() > deadline) {
      noteError('a batch did not complete within 10 min');
      return;
    }
  }
}

async function screeningLoop(files: string[], until: number): Promise<void> {
  let next = 0;
  const take = () => {
    const batch: string[] = [];
    for (let i = 0; i < batchSize; i++) batch.push(files[next++ % files.length]!);
    return batch;
  };
  const lane = async () => {
    while (Date.now() < until)
      await screenOneBatch(take()).catch((error: Error) =>
        noteError(`batch request failed: ${error.message}`),
      );
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
}

async function predictStream(file: string, seconds: number) {
  const boundary = `----heartbeat-soak-${Date.now().toString(16)}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="soak.flac"\r\nContent-Type: audio/flac\r\n\r\n`;
  const body = Buffer.concat([Buffer.from(head), readFileSync(file), Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const result = await autocannon({
    url: `${url}/predict`,
    method: 'POST',
    connections: predictClients,
    duration: seconds,
    timeout: 60,
    body,
    headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
  return {
    clients: predictClients,
    requests: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    meanMs: Number(result.latency.average.toFixed(1)),
    maxMs: result.latency.max,
  };
}

async function main(): Promise<void> {
  const files = recordings();
  if (files.length === 0) throw new Error(`no recordings under ${data}`);
  // /predict posts the first shared recording (training-a/a0001.flac: 36 s at 2 kHz, 72 kB)
  const predictFile = files[0]!;
  // The same load for a warm-up first, so start-of-run memory is a running stack's, not a cold one's.
  console.error(`soak: warming up for ${warmupMinutes} min`);
  await Promise.all([
    predictStream(predictFile, warmupMinutes * 60),
    screeningLoop(files.slice(-batchSize * inFlight * 4), Date.now() + warmupMinutes * 60_000),
  ]);
  const warmupErrors = errors.length;
  errors.length = 0;
  screened = 0;
  batchesDone = 0;
  batchSeconds.length = 0;
  await scrapeLag().catch(() => undefined);
  lagSamples.length = 0;

  const startedAt = new Date();
  const loadBefore = machineLoad();
  const cpuBefore = cpuSnapshot();
  const memory: { minute: number; mb: Record<string, number> }[] = [{ minute: 0, mb: memorySnapshot() }];
  const until = Date.now() + minutes * 60_000;
  const ticker = setInterval(
    () => void scrapeLag().catch(() => noteError('gateway metrics unreadable')),
    10_000,
  );
  let minute = 0;
  await scrapeHeap(0).catch(() => undefined);
  const memoryTicker = setInterval(() => {
    memory.push({ minute: ++minute, mb: memorySnapshot() });
    void scrapeHeap(minute).catch(() => undefined);
  }, 60_000);
  console.error(
    `soak: ${minutes} min of screening (${inFlight} batches of ${batchSize} in flight) and /predict`,
  );
  const [predict] = await Promise.all([
    predictStream(predictFile, minutes * 60),
    screeningLoop(files, until),
  ]);
  clearInterval(ticker);
  clearInterval(memoryTicker);
  const wallSeconds = (Date.now() - startedAt.getTime()) / 1000;
  const end = memorySnapshot();
  if (memory.at(-1)!.minute !== minutes)
    memory.push({ minute: Number((wallSeconds / 60).toFixed(2)), mb: end });
  const cpuAfter = cpuSnapshot();
  const start = memory[0]!.mb;
  const rss = Object.fromEntries(
    Object.keys(end).map((name) => [
      name,
      {
        startMb: Number(start[name]?.toFixed(1)),
        endMb: Number(end[name]!.toFixed(1)),
        growthPercent: start[name]
          ? Number((((end[name]! - start[name]!) / start[name]!) * 100).toFixed(1))
          : null,
      },
    ]),
  );
  const predictErrors = predict.non2xx + predict.errors + predict.timeouts;
  const sortedBatch = [...batchSeconds].sort((a, b) => a - b);
  const worstGrowth = Math.max(
    ...Object.entries(rss)
      .filter(([name]) => isOwnProcess(name))
      .map(([, value]) => value.growthPercent ?? 0),
  );
  const finiteMeans = lagSamples.map((sample) => sample.mean).filter(Number.isFinite);
  // bench/soak.sh exports how it started the apps: the compiled build the images run, or the sources.
  const build = process.env.PRIVATE_STACK_BUILD === 'compiled' ? 'compiled' : 'sources';
  const report = {
    at: startedAt.toISOString(),
    command: `npm run bench:soak -- --minutes ${minutes}${warmupMinutes === 1 ? '' : ` --warmup-minutes ${warmupMinutes}`}${build === 'sources' ? ' --sources' : ''}`,
    build,
    minutes,
    warmupMinutes,
    warmupErrors,
    wallSeconds: Number(wallSeconds.toFixed(1)),
    loadBefore,
    loadAfter: machineLoad(),
    screening: {
      batchSize,
      batchesInFlight: inFlight,
      batches: batchesDone,
      recordingsScreened: screened,
      recordingsPerMinute: Number(((screened / wallSeconds) * 60).toFixed(1)),
      batchSecondsP50: sortedBatch[Math.floor(sortedBatch.length / 2)] ?? null,
      batchSecondsMax: sortedBatch.at(-1) ?? null,
    },
    predict,
    errors: {
      total: errors.length + predictErrors,
      screening: errors.length,
      predict: predictErrors,
      first: errors.slice(0, 10),
    },
    gatewayEventLoopLagMs: lagSamples.length
      ? {
          samples: lagSamples.length,
          meanOfMeans: Number(
            (finiteMeans.reduce((sum, x) => sum + x, 0) / Math.max(1, finiteMeans.length)).toFixed(1),
          ),
          worstP99: Number(Math.max(...lagSamples.map((x) => x.p99)).toFixed(1)),
          max: Number(Math.max(...lagSamples.map((x) => x.max)).toFixed(1)),
        }
      : null,
    rss,
    /** Of the gateway, the inference worker and its model processes (the goal's subject). */
    worstRssGrowthPercent: worstGrowth,
    gatewayHeapByMinute: gatewayHeap,
    rssByMinute: memory.map(({ minute, mb }) => ({
      minute,
      mb: Object.fromEntries(Object.entries(mb).map(([name, value]) => [name, Number(value.toFixed(1))])),
    })),
    cpuSeconds: Object.fromEntries(
      Object.keys(cpuAfter).map((name) => [
        name,
        Number(((cpuAfter[name]! - (cpuBefore[name] ?? 0)) / 1000).toFixed(1)),
      ]),
    ),
    goal: { errors: 0, rssGrowthPercentAtMost: 10 },
    met: errors.length + predictErrors === 0 && worstGrowth <= 10,
  };
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
