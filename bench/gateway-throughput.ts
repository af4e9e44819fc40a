// Screening throughput of the service path (gateway -> S3 -> queue -> inference workers) next to the
// CLI on the same files, and /predict latency for a 20-s WAV at 1 and 16 concurrent clients.
// Needs a running gateway and worker(s), e.g. `npm run quickstart` (set RATE_LIMIT_PER_MINUTE high
// for the latency runs: 16 clients exceed the default 600 requests/min per key).
//   npm exec -- node -r @swc-node/register bench/gateway-throughput.ts --key <api-key>
//     [--url http://127.0.0.1:8000] [--n 1000] [--data <physionet2016 dir>] [--requests 200] [--skip-cli]
//     [--latency-only]   (only the /predict latency runs)   [--batch-only]   (no /predict latency runs)
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { decodeAudio } from '@heartbeat/audio';
import { procCpuMs } from './process-cpu';

const ROOT = path.resolve(__dirname, '..');

function option(name: string, fallback?: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

const url = option('url', 'http://127.0.0.1:8000')!;
const key = option('key', process.env.HEARTBEAT_BOOTSTRAP_API_KEY);
const count = Number(option('n', '1000'));
const data = option('data', path.resolve(ROOT, '../shared/data/physionet2016'))!;
const requests = Number(option('requests', '200'));
const latencyOnly = process.argv.includes('--latency-only');
const batchOnly = process.argv.includes('--batch-only');
const skipCli = latencyOnly || process.argv.includes('--skip-cli');
if (!key) throw new Error('Pass --key <api-key> (or set HEARTBEAT_BOOTSTRAP_API_KEY)');
const headers = { Authorization: `Bearer ${key}` };

/** N recordings taken round-robin from training-a..e, so every database is represented. */
function pickRecordings(n: number): string[] {
  const subsets = readdirSync(data)
    .filter((name) => name.startsWith('training-'))
    .sort()
    .map((name) =>
      readdirSync(path.join(data, name))
        .filter((f) => f.endsWith('.flac'))
        .sort()
        .map((f) => path.join(data, name, f)),
    );
  const picked: string[] = [];
  for (let i = 0; picked.length < n && subsets.some((s) => i < s.length); i++)
    for (const subset of subsets) if (i < subset.length && picked.length < n) picked.push(subset[i]!);
  return picked;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

// The load generator shares the two cores with the service, so the batch goes out as one multipart
// body written straight from the files' buffers over node:http (fetch + FormData copied and
// re-encoded every file: bench/README.md has both costs).
function postBatch(
  parts: readonly { fileName: string; bytes: Buffer }[],
): Promise<{ status: number; body: string }> {
  const boundary = `----heartbeat-bench-${Date.now().toString(16)}`;
  const pieces: Buffer[] = [];
  for (const { fileName, bytes } of parts)
    pieces.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      bytes,
      Buffer.from('\r\n'),
    );
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  const length = pieces.reduce((sum, piece) => sum + piece.length, 0);
  return new Promise((resolve, reject) => {
    const request = http.request(
      new URL('/api/v1/batches', url),
      {
        method: 'POST',
        headers: {
          ...headers,
          'Content-Type': `multipart/form-data; boundary=${boundary}`,
          'Content-Length': length,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    let next = 0;
    const writeMore = () => {
      while (next < pieces.length) if (!request.write(pieces[next++]!)) return;
      request.end();
    };
    request.on('drain', writeMore);
    writeMore();
  });
}

async function screenThroughGateway(files: string[]): Promise<{
  seconds: number;
  succeeded: number;
  failed: number;
  loadGeneratorCpuMsPerRecording: number;
}> {
  const parts = files.map((file) => ({ fileName: path.basename(file), bytes: readFileSync(file) }));
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const { status: uploadStatus, body: answer } = await postBatch(parts);
  const batch = JSON.parse(answer) as { statusUrl: string; message?: string };
  if (uploadStatus !== 202) throw new Error(`POST /api/v1/batches: ${uploadStatus} ${answer}`);
  const uploaded = (performance.now() - started) / 1000;
  for (;;) {
    const status = (await (await fetch(`${url}${batch.statusUrl}`, { headers })).json()) as {
      status: string;
      succeeded: number;
      failed: number;
      done: number;
      total: number;
    };
    process.stderr.write(
      `\r  gateway: ${status.done}/${status.total} (upload took ${uploaded.toFixed(1)} s)   `,
    );
    if (status.status === 'completed') {
      process.stderr.write('\n');
      const cpu = process.cpuUsage(cpuBefore);
      return {
        seconds: (performance.now() - started) / 1000,
        succeeded: status.succeeded,
        failed: status.failed,
        loadGeneratorCpuMsPerRecording: (cpu.user + cpu.system) / 1000 / files.length,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function screenWithCli(
  files: string[],
  modelVersion: string,
): { seconds: number; rows: number; cpuSeconds: number } {
  // The CLI gets one folder holding copies of the files: with hundreds of paths on its command line
  // it crashed (SIGSEGV) on this machine, while folders of the same size work.
  const folder = mkdtempSync(path.join(tmpdir(), 'heartbeat-bench-'));
  try {
    for (const file of files) copyFileSync(file, path.join(folder, path.basename(file)));
    const started = performance.now();
    const cpuBefore = procCpuMs().children;
    const run = spawnSync(
      process.execPath,
      [
        path.join(ROOT, 'bin/heartbeat.js'),
        'classify',
        folder,
        '--format',
        'jsonl',
        '--no-progress',
        '--model',
        path.join(ROOT, 'models', modelVersion),
      ],
      {
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
      },
    );
    if (run.status !== 0 && run.status !== 3)
      throw new Error(
        `heartbeat classify failed (status ${run.status}, signal ${run.signal}, ${run.error?.message ?? 'no spawn error'}): ${run.stderr.slice(-2000)}`,
      );
    return {
      seconds: (performance.now() - started) / 1000,
      rows: run.stdout.trim().split('\n').length,
      cpuSeconds: (procCpuMs().children - cpuBefore) / 1000,
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** A 20-s 16-bit WAV cut from the first PhysioNet recording that long. */
async function twentySecondWav(files: string[]): Promise<Buffer> {
  for (const file of files) {
    const audio = await decodeAudio(readFileSync(file));
    const samples = audio.sampleRate * 20;
    const channel = audio.samples;
    if (channel.length < samples) continue;
    const wav = Buffer.alloc(44 + samples * 2);
    wav.write('RIFF', 0);
    wav.writeUInt32LE(36 + samples * 2, 4);
    wav.write('WAVEfmt ', 8);
    wav.writeUInt32LE(16, 16);
    wav.writeUInt16LE(1, 20);
    wav.writeUInt16LE(1, 22);
    wav.writeUInt32LE(audio.sampleRate, 24);
    wav.writeUInt32LE(audio.sampleRate * 2, 28);
    wav.writeUInt16LE(2, 32);
    wav.writeUInt16LE(16, 34);
    wav.write('data', 36);
    wav.writeUInt32LE(samples * 2, 40);
    for (let i = 0; i < samples; i++)
      wav.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(channel[i]! * 32767))), 44 + i * 2);
    return wav;
  }
  throw new Error('No recording of 20 s or more among the picked files');
}

/** One multipart body holding the WAV as field `file`, encoded once and sent by every request. */
function multipartBody(wav: Buffer): { body: Buffer; contentType: string } {
  const boundary = `----heartbeat-bench-${Date.now().toString(16)}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench-20s.wav"\r\nContent-Type: audio/wav\r\n\r\n`;
  return {
    body: Buffer.concat([Buffer.from(head), wav, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

// The load generator shares the machine's two cores with the service, so it has to be cheap: a
// pre-encoded body over keep-alive node:http connections costs a fraction of fetch + FormData per request.
async function predictLatency(
  wav: Buffer,
  clients: number,
  total: number,
): Promise<{
  p50: number;
  p99: number;
  mean: number;
  statuses: Record<number, number>;
  loadGeneratorCpuMsPerRequest: number;
}> {
  const { body, contentType } = multipartBody(wav);
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const target = new URL('/predict', url);
  const post = () =>
    new Promise<number>((resolve, reject) => {
      const request = http.request(
        target,
        {
          method: 'POST',
          agent,
          headers: { ...headers, 'Content-Type': contentType, 'Content-Length': body.length },
        },
        (response) => {
          response.on('data', () => undefined);
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  const client = async () => {
    while (next < total) {
      next++;
      const started = performance.now();
      const status = await post();
      latencies.push(performance.now() - started);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  const cpuBefore = process.cpuUsage();
  await Promise.all(Array.from({ length: clients }, client));
  const cpu = process.cpuUsage(cpuBefore);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    mean: latencies.reduce((a, b) => a + b, 0) / latencies.length,
    statuses,
    loadGeneratorCpuMsPerRequest: (cpu.user + cpu.system) / 1000 / total,
  };
}

function latencySummary(run: Awaited<ReturnType<typeof predictLatency>>) {
  return {
    p50: Math.round(run.p50),
    p99: Math.round(run.p99),
    mean: Math.round(run.mean),
    statuses: run.statuses,
    loadGeneratorCpuMsPerRequest: Number(run.loadGeneratorCpuMsPerRequest.toFixed(2)),
  };
}

async function main(): Promise<void> {
  const health = (await (await fetch(`${url}/health`)).json()) as {
    modelLoaded: boolean;
    modelVersions: string[];
    workers: unknown[];
  };
  if (!health.modelLoaded)
    throw new Error(`No ready inference worker behind ${url} (GET /health: ${JSON.stringify(health)})`);
  const modelVersion = health.modelVersions[0]!;
  const files = pickRecordings(count);
  const loadBefore = loadavg()[0]!;
  if (!latencyOnly)
    console.error(
      `Screening ${files.length} recordings through ${url} (${health.workers.length} worker(s), model ${modelVersion})...`,
    );
  const gateway = latencyOnly ? undefined : await screenThroughGateway(files);
  let cli: ReturnType<typeof screenWithCli> | undefined;
  if (!skipCli) {
    console.error('Screening the same files with `heartbeat classify`...');
    cli = screenWithCli(files, modelVersion);
  }
  let latency:
    | { one: Awaited<ReturnType<typeof predictLatency>>; sixteen: Awaited<ReturnType<typeof predictLatency>> }
    | undefined;
  if (!batchOnly) {
    const wav = await twentySecondWav(files);
    console.error(
      `/predict latency, 20-s WAV (${wav.length} bytes): warm-up, then ${requests} requests at 1 and at 16 clients...`,
    );
    // Warm up both paths (a fresh gateway's first concurrent requests run unoptimised code).
    await predictLatency(wav, 1, 5);
    await predictLatency(wav, 16, 48);
    latency = {
      one: await predictLatency(wav, 1, requests),
      sixteen: await predictLatency(wav, 16, requests),
    };
  }
  const gatewayRate = gateway ? files.length / gateway.seconds : undefined;
  const cliRate = cli ? cli.rows / cli.seconds : undefined;
  const report = {
    recordings: files.length,
    workers: health.workers.length,
    cores: availableParallelism(),
    loadAverageBefore: Number(loadBefore.toFixed(2)),
    loadAverageAfter: Number(loadavg()[0]!.toFixed(2)),
    gateway: gateway && {
      seconds: Number(gateway.seconds.toFixed(1)),
      recordingsPerSecond: Number(gatewayRate!.toFixed(1)),
      succeeded: gateway.succeeded,
      failed: gateway.failed,
      loadGeneratorCpuMsPerRecording: Number(gateway.loadGeneratorCpuMsPerRecording.toFixed(2)),
    },
    cli: cli && {
      seconds: Number(cli.seconds.toFixed(1)),
      recordingsPerSecond: Number(cliRate!.toFixed(1)),
      cpuMsPerRecording: Number(((cli.cpuSeconds * 1000) / cli.rows).toFixed(2)),
    },
    gatewayVsCli: cliRate && gatewayRate ? Number((gatewayRate / cliRate).toFixed(2)) : undefined,
    predictLatencyMs: latency && {
      clients1: latencySummary(latency.one),
      clients16: latencySummary(latency.sixteen),
    },
  };
  console.log(JSON.stringify(report, null, 2));
}

main().catch((error: unknown) => {
  console.error(`gateway-throughput: ${(error as Error).message}`);
  process.exit(1);
});
