// Observability of the real stack: the gateway and an inference worker run as separate processes
// (their own main.ts, as deployed) with tracing configured only through OTEL_* variables, exporting
// OTLP/HTTP JSON to a receiver on loopback. One /predict gives ONE trace that crosses both
// processes (HTTP -> queue -> worker -> recording read -> decode/features -> model -> database),
// both services' log lines for it carry its trace id, and neither the trace nor the logs name the
// uploaded file. Client errors are logged at info without stacks, every line of the gateway's
// output is JSON, and every service's live /metrics passes `promtool check metrics`. Then a real Prometheus
// (Debian `prometheus`) scrapes the three services with deploy/prometheus's configuration: every
// query of the generated Grafana dashboard returns data, no alert rule's expression holds on the
// healthy stack, and the service-down alert's does once the inference worker stops.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { dashboardExpressions } from '../../../deploy/grafana/src/heartbeat-dashboard';
import { freePort } from '../../../test/free-port';
import { startProcess, startService, waitFor, type ServiceProcess } from '../../../test/real-stack';

const ROOT = path.resolve(__dirname, '../../..');
const RECORDING = path.join(ROOT, 'samples/training-a/a0114.flac');
/** A file name that must never reach a log line or a span. */
const FILE_NAME = `jane-doe-1962-03-14-${randomBytes(3).toString('hex')}.flac`;
/** The same, for a file sent in a batch. */
const BATCH_FILE_NAME = `john-roe-1970-01-01-${randomBytes(3).toString('hex')}.flac`;
const API_KEY = `hb_observability_${randomBytes(12).toString('hex')}`;

interface ExportedSpan {
  service: string;
  scope: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  events?: { name: string; attributes?: OtlpAttribute[] }[];
  links?: { traceId: string; spanId: string }[];
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}

function attributes(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries(
    (list ?? []).map(({ key, value }) => [
      key,
      value.stringValue ?? value.intValue ?? value.doubleValue ?? value.boolValue,
    ]),
  );
}

/** An OTLP/HTTP receiver (JSON encoding) that keeps every span it is sent. */
function startOtlpReceiver(spans: ExportedSpan[]): Promise<Server> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans?: {
            resource?: { attributes?: OtlpAttribute[] };
            scopeSpans?: {
              scope?: { name?: string };
              spans?: (Omit<ExportedSpan, 'service' | 'scope' | 'attributes'> & {
                attributes?: OtlpAttribute[];
              })[];
            }[];
          }[];
        };
        for (const resource of body.resourceSpans ?? []) {
          const service = String(attributes(resource.resource?.attributes)['service.name']);
          for (const scope of resource.scopeSpans ?? [])
            for (const span of scope.spans ?? [])
              spans.push({
                ...span,
                service,
                scope: scope.scope?.name ?? '',
                attributes: attributes(span.attributes),
              });
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function jsonLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`Not a JSON log line: ${line.slice(0, 300)}`);
      }
    });
}

let receiver: Server;
const spans: ExportedSpan[] = [];
let gateway: ServiceProcess | undefined;
let worker: ServiceProcess | undefined;
let training: ServiceProcess | undefined;
let trainingMetricsPort: number;
let base: string;
let gatewayMetricsPort: number;
let workerMetricsPort: number;
let workDir: string;

/** The services every wait watches: it fails at once, with their output, when one of them exits. */
const stack = () => [gateway, worker, training];

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'heartbeat-observability-'));
  receiver = await startOtlpReceiver(spans);
  const integrationEnv = inject('integrationEnv');
  const [gatewayPort, metricsPort, workerPort, trainingPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  trainingMetricsPort = trainingPort;
  gatewayMetricsPort = metricsPort;
  workerMetricsPort = workerPort;
  const env = {
    ...integrationEnv,
    QUEUE_PREFIX: `${integrationEnv.QUEUE_PREFIX}:observability`,
    LOG_LEVEL: 'info',
    // Standard OpenTelemetry variables only; short export delay so the test need not wait 5 s.
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    OTEL_TRACES_SAMPLER: 'always_on',
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
  worker = startService('inference worker', 'apps/inference-worker/src/main.ts', {
    ...env,
    INFERENCE_PROCESSES: '1',
    INFERENCE_WORKER_METRICS_PORT: String(workerPort),
    INFERENCE_MODEL_CACHE_DIR: path.join(workDir, 'model-cache'),
  });
  gateway = startService('gateway', 'apps/gateway/src/main.ts', {
    ...env,
    HOST: '127.0.0.1',
    PORT: String(gatewayPort),
    GATEWAY_METRICS_PORT: String(metricsPort),
    HEARTBEAT_BOOTSTRAP_API_KEY: API_KEY,
    PREDICT_TIMEOUT_MS: '60000',
  });
  training = startService('training worker', 'apps/training-worker/src/main.ts', {
    ...env,
    TRAINING_WORKER_METRICS_PORT: String(trainingPort),
    TRAINING_WORK_DIR: path.join(workDir, 'training'),
  });
  base = `http://127.0.0.1:${gatewayPort}`;
  await waitFor(
    'an inference worker with its model loaded',
    async () => {
      const health = (await (await fetch(`${base}/health`)).json()) as { modelLoaded?: boolean };
      return health.modelLoaded ? health : undefined;
    },
    { timeoutMs: 240_000, services: stack() },
  );
}, 300_000);

afterAll(async () => {
  await prometheus?.stop();
  await Promise.all([gateway?.stop(), worker?.stop(), training?.stop()]);
  await new Promise((resolve) => receiver?.close(resolve));
  rmSync(workDir, { recursive: true, force: true });
});

describe('logs', () => {
  it('the gateway writes only JSON lines, and logs client errors (4xx) at info without a stack', async () => {
    const answers = [
      await fetch(`${base}/api/v1/batches`, { method: 'POST' }), // no key: 401
      await fetch(`${base}/no-such-route`), // 404
      await fetch(`${base}/api/v1/batches`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: '{"not json',
      }), // 400
      await fetch(`${base}/predict`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${API_KEY}` },
        body: (() => {
          const form = new FormData();
          form.append(
            'file',
            new Blob([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')]),
            'picture.png',
          );
          return form;
        })(),
      }), // 415
    ];
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.every((status) => status >= 400 && status < 500)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const lines = jsonLines(gateway!.output());
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines)
      expect(line).toMatchObject({ service: 'gateway', level: expect.any(String), msg: expect.any(String) });
    const clientErrors = lines.filter(
      (line) => typeof line.statusCode === 'number' && line.statusCode >= 400,
    );
    expect(clientErrors.map((line) => line.statusCode).sort()).toEqual([...statuses].sort());
    for (const line of clientErrors) {
      expect(line.level).toBe('info');
      expect(line).toHaveProperty('code');
      expect(JSON.stringify(line)).not.toMatch(/\\n\s+at |"stack"/);
    }
    expect(lines.filter((line) => line.level === 'error' || line.level === 'fatal')).toEqual([]);
  });
});

describe('one /predict', () => {
  let traceId: string;
  let predictionId: string;

  beforeAll(async () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(readFileSync(RECORDING))]), FILE_NAME);
    const response = await fetch(`${base}/predict`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${API_KEY}` },
      body: form,
    });
    const body = (await response.json()) as { predictionId?: string; id?: string };
    expect(response.status, JSON.stringify(body)).toBe(200);
    predictionId = (body.predictionId ?? body.id)!;
    expect(predictionId).toBeTruthy();
    // Spans are exported in batches: wait for the worker's database write and the gateway's request.
    traceId = await waitFor(
      'the trace of the /predict',
      async () => {
        const save = spans.find(
          (span) => span.name === 'prediction.save' && span.service === 'inference-worker',
        );
        const job = save && spans.find((span) => span.spanId === save.parentSpanId);
        if (!job) return undefined;
        const server = spans.find(
          (span) => span.traceId === job.traceId && span.service === 'gateway' && span.kind === 2,
        );
        return server ? job.traceId : undefined;
      },
      { timeoutMs: 30_000, services: stack() },
    );
    // And a batch, through the other upload path.
    const batchForm = new FormData();
    batchForm.append('files', new Blob([new Uint8Array(readFileSync(RECORDING))]), BATCH_FILE_NAME);
    const created = await fetch(`${base}/api/v1/batches`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${API_KEY}` },
      body: batchForm,
    });
    const batch = (await created.json()) as { statusUrl: string };
    expect(created.status, JSON.stringify(batch)).toBe(202);
    await waitFor(
      'the batch to complete',
      async () => {
        const status = (await (
          await fetch(`${base}${batch.statusUrl}`, { headers: { Authorization: `Bearer ${API_KEY}` } })
        ).json()) as { status: string };
        return status.status === 'completed' ? status : undefined;
      },
      { timeoutMs: 60_000, services: stack() },
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
  }, 120_000);

  it('is ONE trace whose spans come from the gateway and the inference worker processes', () => {
    const trace = spans.filter((span) => span.traceId === traceId);
    expect(new Set(trace.map((span) => span.service))).toEqual(new Set(['gateway', 'inference-worker']));
    // Connected: every span's parent is in the trace, and there is one root, the gateway's HTTP request.
    const ids = new Set(trace.map((span) => span.spanId));
    const roots = trace.filter((span) => !span.parentSpanId || !ids.has(span.parentSpanId));
    expect(roots.map((span) => [span.service, span.kind, span.name])).toEqual([
      ['gateway', 2, 'POST /predict'],
    ]);
    expect(roots[0].attributes['http.route']).toBe('/predict');
  });

  it('covers HTTP -> queue -> worker -> recording read -> decode/features -> model -> database write', () => {
    const trace = spans.filter((span) => span.traceId === traceId);
    const named = (name: string, service: string) =>
      trace.find((span) => span.name === name && span.service === service);
    const publish = named('predictions publish', 'gateway');
    const job = named('predictions process', 'inference-worker');
    expect(publish).toBeDefined();
    expect(job?.parentSpanId).toBe(publish?.spanId);
    for (const step of ['recording.read', 'audio.prepare', 'model.infer', 'prediction.save'])
      expect(named(step, 'inference-worker')?.parentSpanId, step).toBe(job?.spanId);
    const save = named('prediction.save', 'inference-worker')!;
    expect(
      trace.some((span) => span.scope.includes('instrumentation-pg') && span.parentSpanId === save.spanId),
    ).toBe(true);
    expect(job?.attributes).toMatchObject({
      'heartbeat.prediction.id': predictionId,
      'heartbeat.model.version': expect.any(String),
    });
  });

  it('names the dynamic batch the model call joined: an event on the call, and a model.batch span linked to it', () => {
    const infer = spans.find((span) => span.traceId === traceId && span.name === 'model.infer')!;
    const joined = infer.events?.find((event) => event.name === 'joined model batch');
    const sequence = attributes(joined?.attributes)['heartbeat.model_batch.sequence'];
    expect(sequence).toBeDefined();
    const batch = spans.find(
      (span) =>
        span.name === 'model.batch' &&
        span.attributes['heartbeat.model_batch.sequence'] === sequence &&
        span.service === 'inference-worker',
    );
    expect(batch?.links?.map((link) => link.spanId)).toContain(infer.spanId);
  });

  it("never carries an uploaded file name (/predict or batch) in a span or a log line, and the trace id is on both services' log lines", () => {
    for (const fileName of [FILE_NAME, BATCH_FILE_NAME])
      expect(JSON.stringify(spans)).not.toContain(fileName);
    for (const [name, service] of [
      ['gateway', gateway!],
      ['inference-worker', worker!],
    ] as const) {
      const output = service.output();
      for (const fileName of [FILE_NAME, BATCH_FILE_NAME])
        expect(output, `${name} logs`).not.toContain(fileName);
      const lines = jsonLines(output).filter((line) => line.trace_id === traceId);
      expect(lines.length, `${name} lines with the trace id`).toBeGreaterThan(0);
      expect(lines.every((line) => typeof line.span_id === 'string')).toBe(true);
    }
  });
});

describe.skipIf(spawnSync('promtool', ['--version']).status !== 0)('live /metrics', () => {
  it.each([
    ['gateway', () => gatewayMetricsPort],
    ['inference worker', () => workerMetricsPort],
    ['training worker', () => trainingMetricsPort],
  ])("the %s's exposition passes promtool check metrics", async (_name, port) => {
    const text = await (await fetch(`http://127.0.0.1:${port()}/metrics`)).text();
    expect(text).toContain('heartbeat_ready');
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);
  });
});

// --- A real Prometheus scraping the stack ---------------------------------------------------------

const PROMETHEUS_AVAILABLE = spawnSync('prometheus', ['--version']).status === 0;
if (!PROMETHEUS_AVAILABLE)
  console.warn(
    'prometheus not found: skipping the live-Prometheus checks (install the Debian/Ubuntu package `prometheus`; CI does).',
  );
const RULES = path.join(ROOT, 'deploy/prometheus/rules/heartbeat.rules.yml');
let prometheus: ServiceProcess | undefined;
let prometheusUrl: string;

async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data: { resultType: string; result: unknown };
  };
  if (body.status !== 'success') throw new Error(`Prometheus refused ${expr}: ${body.error}`);
  return body.data.resultType === 'vector'
    ? (body.data.result as { metric: Record<string, string>; value: [number, string] }[])
    : [];
}

/** A dashboard expression as Grafana would send it, with its variables filled in. */
function concrete(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$service', '.*');
}

describe.skipIf(!PROMETHEUS_AVAILABLE)('a real Prometheus scraping the stack with deploy/prometheus', () => {
  const alertRules = (
    parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }
  ).groups.flatMap((group) => group.rules);

  beforeAll(async () => {
    // deploy/prometheus/prometheus.yml with this run's ports, a 1-s scrape and the rules by absolute path.
    const config = parse(readFileSync(path.join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
      global: Record<string, string>;
      rule_files: string[];
      scrape_configs: { static_configs: { targets: string[]; labels: { service: string } }[] }[];
    };
    const ports: Record<string, number> = {
      gateway: gatewayMetricsPort,
      'inference-worker': workerMetricsPort,
      'training-worker': trainingMetricsPort,
    };
    config.global = { scrape_interval: '1s', evaluation_interval: '1s' };
    config.rule_files = [RULES];
    for (const job of config.scrape_configs)
      for (const target of job.static_configs) target.targets = [`127.0.0.1:${ports[target.labels.service]}`];
    const dir = path.join(workDir, 'prometheus');
    writeFileSync(`${dir}.yml`, stringify(config));
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    prometheus = startProcess('prometheus', 'prometheus', [
      `--config.file=${dir}.yml`,
      `--storage.tsdb.path=${dir}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    await waitFor(
      'Prometheus to scrape all three services',
      async () => {
        const up = await query('up == 1');
        return up.length === 3 ? up : undefined;
      },
      { timeoutMs: 30_000, services: [...stack(), prometheus] },
    );
    // Traffic Prometheus sees happen: a few screenings and a client error.
    for (let i = 0; i < 3; i++) {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(readFileSync(RECORDING))]), `scrape-${i}.flac`);
      const response = await fetch(`${base}/predict`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${API_KEY}` },
        body: form,
      });
      expect(response.status).toBe(200);
    }
    await fetch(`${base}/no-such-route`);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
  }, 90_000);

  it('answers every query of the generated dashboard with data', async () => {
    const empty: string[] = [];
    for (const expr of dashboardExpressions())
      if ((await query(concrete(expr))).length === 0) empty.push(expr);
    expect(empty).toEqual([]);
  });

  it("holds no alert rule's expression on the healthy stack", async () => {
    const holding: string[] = [];
    for (const rule of alertRules) {
      const result = await query(rule.expr);
      if (result.length > 0) holding.push(`${rule.alert}: ${JSON.stringify(result)}`);
    }
    expect(holding).toEqual([]);
  });

  it("sees the service-down alert's expression become true for the inference worker once it stops", async () => {
    const down = alertRules.find((rule) => rule.alert === 'HeartBeatServiceDown')!;
    expect(await query(down.expr)).toEqual([]);
    // Stopped on purpose: no longer watched for an unexpected exit.
    const stopping = worker;
    worker = undefined;
    await stopping?.stop();
    const result = await waitFor(
      'the service-down expression to hold',
      async () => {
        const series = await query(down.expr);
        return series.length > 0 ? series : undefined;
      },
      { timeoutMs: 15_000, services: stack() },
    );
    expect(result.map((series) => series.metric.service)).toEqual(['inference-worker']);
  });
});
