// The real stack for the console's browser tests and page-load benchmark: the gateway, inference
// worker and training worker as the processes the quickstart runs, a real Prometheus scraping them,
// the console built and started with `next start`, and Debian's Chromium through playwright-core.
// Each piece gets a free port; stop() ends only what start() began.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { freePort } from '../../../test/free-port';
import {
  REPOSITORY_ROOT as ROOT,
  runToCompletion,
  startProcess,
  startService,
  waitFor,
  type ServiceProcess,
} from '../../../test/real-stack';

export { ROOT };
const CONSOLE_DIR = path.join(ROOT, 'apps/console');
const NEXT_BIN = path.join(ROOT, 'node_modules/next/dist/bin/next');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The services are long-lived and chatty: the end of each one's output is enough. */
const KEEP_OUTPUT_CHARS = 20_000;

export interface StackOptions {
  /** Environment from test/integration-setup.ts: this run's database, Redis prefix and s3rver. */
  env: Record<string, string>;
  withTrainingWorker?: boolean;
  withPrometheus?: boolean;
  /** Skip `next build` when .next is known to be current (the benchmark's --no-build). */
  build?: boolean;
}

export class BrowserStack {
  readonly services = new Map<string, ServiceProcess>();
  gatewayUrl = '';
  consoleUrl = '';
  prometheusUrl = '';
  gatewayPort = 0;
  gatewayMetricsPort = 0;
  adminKey = '';
  screeningKey = '';
  browser: Browser | undefined;
  private workDir = mkdtempSync(path.join(tmpdir(), 'heartbeat-console-browser-'));
  private env: Record<string, string> = {};

  constructor(private readonly options: StackOptions) {}

  /** Registers a service for stopService() and stop(). */
  private track(service: ServiceProcess): ServiceProcess {
    this.services.set(service.name, service);
    return service;
  }

  private startMain(name: string, entry: string): ServiceProcess {
    return this.track(startService(name, entry, this.env, { keepOutputChars: KEEP_OUTPUT_CHARS }));
  }

  async start(): Promise<void> {
    [this.gatewayPort, this.gatewayMetricsPort] = [await freePort(), await freePort()];
    const inferenceMetricsPort = await freePort();
    const trainingMetricsPort = await freePort();
    this.env = {
      ...this.options.env,
      QUEUE_PREFIX: `${this.options.env.QUEUE_PREFIX}:console`,
      LOG_LEVEL: 'warn',
      PORT: String(this.gatewayPort),
      HOST: '127.0.0.1',
      GATEWAY_METRICS_PORT: String(this.gatewayMetricsPort),
      INFERENCE_WORKER_METRICS_PORT: String(inferenceMetricsPort),
      TRAINING_WORKER_METRICS_PORT: String(trainingMetricsPort),
      INFERENCE_PROCESSES: '1',
      INFERENCE_WORKER_ID: 'console-browser',
      INFERENCE_MODEL_CACHE_DIR: path.join(this.workDir, 'model-cache'),
      MODEL_POLL_INTERVAL_MS: '1000',
      TRAINING_BASE_DATA_DIR: path.join(ROOT, 'samples'),
      TRAINING_WORK_DIR: path.join(this.workDir, 'training'),
      PUBLIC_READS: 'false',
      RATE_LIMIT_PER_MINUTE: '100000',
      PREDICT_TIMEOUT_MS: '60000',
    };
    this.gatewayUrl = `http://127.0.0.1:${this.gatewayPort}`;
    const building = this.options.build === false ? Promise.resolve() : this.buildConsole();
    this.startGateway();
    await this.waitForGateway();
    this.adminKey = this.createKey('admin', 'console-browser-admin');
    this.screeningKey = this.createKey('screening', 'console-browser-screening');
    const inferenceWorker = this.startMain('inference-worker', 'apps/inference-worker/src/main.ts');
    if (this.options.withTrainingWorker)
      this.startMain('training-worker', 'apps/training-worker/src/main.ts');
    if (this.options.withPrometheus)
      await this.startPrometheus([this.gatewayMetricsPort, inferenceMetricsPort, trainingMetricsPort]);
    await building;
    await this.startConsole();
    await waitFor(
      'an inference worker with the model loaded',
      async () =>
        ((await (await fetch(`${this.gatewayUrl}/health`)).json()) as { modelLoaded: boolean }).modelLoaded ||
        undefined,
      { timeoutMs: 240_000, everyMs: 300, services: [inferenceWorker] },
    );
    // playwright-core gives every launch a new empty profile (its own --user-data-dir).
    this.browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }

  private async buildConsole(): Promise<void> {
    await runToCompletion('next build', process.execPath, [NEXT_BIN, 'build'], {
      cwd: CONSOLE_DIR,
      env: { NEXT_TELEMETRY_DISABLED: '1' },
    });
  }

  startGateway(): void {
    this.startMain('gateway', 'apps/gateway/src/main.ts');
  }

  async waitForGateway(): Promise<void> {
    await waitFor(
      'the gateway to be ready',
      async () => (await fetch(`${this.gatewayUrl}/health/ready`)).ok || undefined,
      { timeoutMs: 120_000, everyMs: 300, services: [this.services.get('gateway')] },
    );
  }

  async stopService(name: string): Promise<void> {
    await this.services.get(name)?.stop('SIGTERM', { killAfterMs: 15_000 });
  }

  private createKey(role: 'admin' | 'screening', name: string): string {
    const out = execFileSync(
      process.execPath,
      [
        '-r',
        '@swc-node/register',
        'apps/gateway/src/cli/api-key.cli.ts',
        'create',
        '--role',
        role,
        '--name',
        name,
        '--json',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, ...this.env },
        encoding: 'utf8',
      },
    );
    return (JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { secret: string }).secret;
  }

  private async startPrometheus(ports: number[]): Promise<void> {
    const port = await freePort();
    const configFile = path.join(this.workDir, 'prometheus.yml');
    const jobs = ['gateway', 'inference-worker', 'training-worker'];
    writeFileSync(
      configFile,
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 5s',
        'scrape_configs:',
        ...ports.flatMap((p, i) => [
          `  - job_name: heartbeat-${jobs[i]}`,
          '    static_configs:',
          `      - targets: ['127.0.0.1:${p}']`,
        ]),
        '',
      ].join('\n'),
    );
    this.prometheusUrl = `http://127.0.0.1:${port}`;
    const prometheus = this.track(
      startProcess(
        'prometheus',
        'prometheus',
        [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${path.join(this.workDir, 'prometheus-data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { keepOutputChars: KEEP_OUTPUT_CHARS },
      ),
    );
    await waitFor(
      'Prometheus to be ready',
      async () => (await fetch(`${this.prometheusUrl}/-/ready`)).ok || undefined,
      { timeoutMs: 60_000, everyMs: 300, services: [prometheus] },
    );
  }

  private async startConsole(): Promise<void> {
    const port = await freePort();
    this.consoleUrl = `http://127.0.0.1:${port}`;
    const nextServer = this.track(
      startProcess('console', process.execPath, [NEXT_BIN, 'start', '-p', String(port), '-H', '127.0.0.1'], {
        cwd: CONSOLE_DIR,
        env: {
          NEXT_TELEMETRY_DISABLED: '1',
          HEARTBEAT_GATEWAY_URL: this.gatewayUrl,
          GATEWAY_METRICS_URL: `http://127.0.0.1:${this.gatewayMetricsPort}/metrics`,
          PROMETHEUS_URL: this.prometheusUrl,
          CONSOLE_SESSION_SECRET: 'browser-tests-session-secret-0123456789abcdef',
        },
        keepOutputChars: KEEP_OUTPUT_CHARS,
      }),
    );
    await waitFor(
      'the console to answer',
      async () => (await fetch(`${this.consoleUrl}/api/health`)).ok || undefined,
      { timeoutMs: 60_000, everyMs: 300, services: [nextServer] },
    );
  }

  async stop(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
    // Workers first (they finish in-flight jobs), then the gateway, console and Prometheus.
    for (const name of ['training-worker', 'inference-worker', 'gateway', 'console', 'prometheus'])
      await this.stopService(name).catch(() => undefined);
    rmSync(this.workDir, { recursive: true, force: true });
  }
}
