// /predict latency under load with autocannon: a 20-s WAV (cut from the first shared recording that
// long) posted as multipart by 1, 4 and 16 concurrent clients; p50/p99/mean, statuses, and the load
// generator's own CPU per request (it shares the machine with the service). Needs a running gateway
// and inference worker with a high RATE_LIMIT_PER_MINUTE (bench/service-accounting.sh --latency
// starts a private one and calls this).
//   npm exec -- node -r @swc-node/register bench/predict-latency.ts --url http://127.0.0.1:PORT --key KEY [--seconds 20] [--clients 1,4,16] [--worker-metrics http://127.0.0.1:PORT/metrics]
// With --worker-metrics, each load level also says where a request's time went on average: waiting in
// the queue for a worker (heartbeat_inference_job_wait_seconds), in the worker's job (decode, features,
// model batch, decision, the outcome's SQL write: heartbeat_inference_job_duration_seconds), and the
// rest (the gateway's multipart, hash, S3 HEAD + PUT, SQL, handoff and enqueue, the result's way back).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { decodeAudio } from '@heartbeat/audio';
import { machineLoad } from './process-cpu';

const args = process.argv.slice(2);
const valueOf = (flag: string) => (args.indexOf(flag) >= 0 ? args[args.indexOf(flag) + 1] : undefined);
const url = valueOf('--url') ?? 'http://127.0.0.1:8000';
const key = valueOf('--key') ?? process.env.HEARTBEAT_BOOTSTRAP_API_KEY;
const seconds = Number(valueOf('--seconds') ?? 20);
const clientCounts = (valueOf('--clients') ?? '1,4,16').split(',').map(Number);
const workerMetrics = valueOf('--worker-metrics');

/** Sum and count of each histogram on the worker's metrics port (all label sets together). */
async function histograms(): Promise<Record<string, { sum: number; count: number }> | undefined> {
  if (!workerMetrics) return undefined;
  const text = await (await fetch(workerMetrics)).text();
  const totals: Record<string, { sum: number; count: number }> = {};
  for (const line of text.split('\n')) {
    const match =
      /^(heartbeat_inference_job_(?:wait|duration)_seconds)_(sum|count)(?:\{[^}]*\})? ([0-9.e+-]+)$/.exec(
        line,
      );
    if (!match) continue;
    const entry = (totals[match[1]!] ??= { sum: 0, count: 0 });
    entry[match[2] as 'sum' | 'count'] += Number(match[3]);
  }
  return totals;
}

function meanMsBetween(
  before: Record<string, { sum: number; count: number }> | undefined,
  after: Record<string, { sum: number; count: number }> | undefined,
  name: string,
): number | undefined {
  const a = after?.[name];
  const b = before?.[name] ?? { sum: 0, count: 0 };
  if (!a || a.count === b.count) return undefined;
  return Number((((a.sum - b.sum) / (a.count - b.count)) * 1000).toFixed(1));
}
const DATA = path.resolve(__dirname, '..', '..', 'shared', 'data', 'physionet2016');
if (!key) throw new Error('Pass --key <api-key> (or set HEARTBEAT_BOOTSTRAP_API_KEY)');

async function twentySecondWav(): Promise<Buffer> {
  for (const file of readdirSync(path.join(DATA, 'training-a'))
    .filter((f) => f.endsWith('.flac'))
    .sort()) {
    const audio = await decodeAudio(readFileSync(path.join(DATA, 'training-a', file)));
    const samples = audio.sampleRate * 20;
    if (audio.samples.length < samples) continue;
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
      wav.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(audio.samples[i]! * 32767))), 44 + i * 2);
    return wav;
  }
  throw new Error(`no recording of 20 s or more in ${DATA}/training-a`);
}

async function run(body: Buffer, contentType: string, connections: number, duration: number) {
  const cpuBefore = process.cpuUsage();
  const metricsBefore = await histograms();
  const result = await autocannon({
    url: `${url}/predict`,
    method: 'POST',
    connections,
    duration,
    body,
    headers: { authorization: `Bearer ${key}`, 'content-type': contentType },
  });
  const cpu = process.cpuUsage(cpuBefore);
  const metricsAfter = await histograms();
  const queueWaitMs = meanMsBetween(metricsBefore, metricsAfter, 'heartbeat_inference_job_wait_seconds');
  const workerJobMs = meanMsBetween(metricsBefore, metricsAfter, 'heartbeat_inference_job_duration_seconds');
  const meanMs = Number(result.latency.average.toFixed(1));
  const statuses = {
    '2xx': result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
  return {
    clients: connections,
    requests: result.requests.total,
    requestsPerSecond: Number(result.requests.average.toFixed(1)),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    meanMs,
    maxMs: result.latency.max,
    ...(queueWaitMs !== undefined && workerJobMs !== undefined
      ? {
          meanBreakdownMs: {
            queueWait: queueWaitMs,
            workerJob: workerJobMs,
            gatewayAndDelivery: Number((meanMs - queueWaitMs - workerJobMs).toFixed(1)),
          },
        }
      : {}),
    statuses,
    loadGeneratorCpuMsPerRequest: Number(
      ((cpu.user + cpu.system) / 1000 / Math.max(1, result.requests.total)).toFixed(2),
    ),
  };
}

async function main(): Promise<void> {
  const wav = await twentySecondWav();
  const boundary = `----heartbeat-bench-${Date.now().toString(16)}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench-20s.wav"\r\nContent-Type: audio/wav\r\n\r\n`;
  const body = Buffer.concat([Buffer.from(head), wav, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const contentType = `multipart/form-data; boundary=${boundary}`;
  const loadBefore = machineLoad();
  await run(body, contentType, 16, 5); // warm-up: a fresh gateway's first concurrent requests run unoptimised code
  await new Promise((resolve) => setTimeout(resolve, 3_000)); // its last jobs finish outside the first measured window
  const results = [];
  for (const clients of clientCounts) results.push(await run(body, contentType, clients, seconds));
  console.log(
    JSON.stringify(
      { wavBytes: wav.length, secondsPerLoad: seconds, loadBefore, loadAfter: machineLoad(), results },
      null,
      2,
    ),
  );
}

void main();
