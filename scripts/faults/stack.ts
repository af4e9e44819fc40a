// The fault suite's private stack: its own PostgreSQL cluster (initdb/pg_ctl on a spare port), Redis
// (AOF on, everysec, as compose ships it), s3rver, and the real gateway, two inference workers and
// the training worker as child processes (TypeScript through @swc-node/register, as the real-stack
// tests run them). Every piece can be killed, stopped and started again; none is the machine's own.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { runMigrations } from '@heartbeat/db';
import { freePort } from '../../test/free-port';

export const ROOT = path.resolve(__dirname, '../..');
// Debian's layout; the newest PostgreSQL installed (15 on Debian 12), or PG_BIN.
const PG_BIN =
  process.env.PG_BIN ??
  `/usr/lib/postgresql/${
    readdirSync('/usr/lib/postgresql')
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a))[0] ?? '15'
  }/bin`;
const S3RVER_BIN = path.join(ROOT, 'node_modules/s3rver/bin/s3rver.js');
const BUCKET = 'heartbeat-faults';
export const ADMIN_KEY = 'hb_fault-suite-admin-key-0123456789';
/** Short, so a lapsed upload lock and Redis data loss are recovered within a scenario. */
export const STALE_UPLOAD_TIMEOUT_MS = 15_000;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

type AppName = 'gateway' | 'inference-1' | 'inference-2' | 'training';
const ENTRY: Record<AppName, string> = {
  gateway: 'apps/gateway/src/main.ts',
  'inference-1': 'apps/inference-worker/src/main.ts',
  'inference-2': 'apps/inference-worker/src/main.ts',
  training: 'apps/training-worker/src/main.ts',
};

export class FaultStack {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'heartbeat-faults-'));
  private readonly pgDir = path.join(this.dir, 'pg');
  private readonly redisDir = path.join(this.dir, 'redis');
  private readonly s3Dir = path.join(this.dir, 's3');
  readonly logDir = path.join(this.dir, 'logs');
  pgPort = 0;
  redisPort = 0;
  s3Port = 0;
  gatewayPort = 0;
  private s3rver?: ChildProcess;
  readonly apps = new Map<AppName, ChildProcess>();
  private readonly extraEnv: Partial<Record<AppName, Record<string, string>>> = {};

  get databaseUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.pgPort}/heartbeat`;
  }
  get base(): string {
    return `http://127.0.0.1:${this.gatewayPort}`;
  }

  /** Environment every app process shares. */
  env(): Record<string, string> {
    return {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: this.databaseUrl,
      DATABASE_POOL_SIZE: '5',
      REDIS_URL: `redis://127.0.0.1:${this.redisPort}`,
      QUEUE_PREFIX: 'heartbeat-faults',
      S3_ENDPOINT: `http://127.0.0.1:${this.s3Port}`,
      S3_BUCKET: BUCKET,
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: 'true',
      PORT: String(this.gatewayPort),
      GATEWAY_METRICS_PORT: '0',
      INFERENCE_WORKER_METRICS_PORT: '0',
      TRAINING_WORKER_METRICS_PORT: '0',
      HEARTBEAT_BOOTSTRAP_API_KEY: ADMIN_KEY,
      RATE_LIMIT_PER_MINUTE: '1000000',
      MAX_BATCH_FILES: '2000',
      STALE_UPLOAD_TIMEOUT_MS: String(STALE_UPLOAD_TIMEOUT_MS),
      STALE_UPLOAD_SWEEP_INTERVAL_MS: '2000',
      // The deployed default on a 2-core node: a supervisor with one model process per core.
      INFERENCE_PROCESSES: '2',
      INFERENCE_SHUTDOWN_TIMEOUT_MS: '30000',
      INFERENCE_MODEL_CACHE_DIR: path.join(this.dir, 'model-cache'),
      MODEL_POLL_INTERVAL_MS: '2000',
      TRAINING_BASE_DATA_DIR: path.join(ROOT, 'samples'),
      TRAINING_WORK_DIR: path.join(this.dir, 'training'),
      TRAINING_DEPENDENCY_RETRY_MS: '1000',
    };
  }

  async start(): Promise<void> {
    mkdirSync(this.logDir);
    [this.pgPort, this.redisPort, this.s3Port, this.gatewayPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    this.initPostgres();
    await this.startPostgres();
    const admin = new Client({ connectionString: this.databaseUrl.replace(/heartbeat$/, 'postgres') });
    await admin.connect();
    await admin.query('create database heartbeat');
    await admin.end();
    await runMigrations(this.databaseUrl);
    mkdirSync(this.redisDir);
    await this.startRedis();
    mkdirSync(this.s3Dir);
    await this.startS3();
    await this.startApp('gateway');
    await Promise.all([
      this.startApp('inference-1'),
      this.startApp('inference-2'),
      this.startApp('training'),
    ]);
  }

  async stop(): Promise<void> {
    for (const child of this.apps.values()) killGroup(child, 'SIGKILL');
    this.apps.clear();
    this.s3rver?.kill('SIGKILL');
    this.killRedis();
    this.stopPostgres('immediate');
  }

  // PostgreSQL ------------------------------------------------------------------------------------

  /** PostgreSQL refuses to run as root: as root, its tools run as user postgres; else as ourselves. */
  private asPostgres(args: string[]): void {
    const [command, ...rest] = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...args] : args;
    const result = spawnSync(command!, rest, { encoding: 'utf8' });
    if (result.status !== 0)
      throw new Error(`${args.join(' ')} failed (${result.status}): ${result.stderr || result.stdout}`);
  }

  private initPostgres(): void {
    mkdirSync(this.pgDir);
    if (process.getuid?.() === 0) {
      chownSync(this.dir, uid('postgres'), gid('postgres'));
      chownSync(this.pgDir, uid('postgres'), gid('postgres'));
    }
    this.asPostgres([`${PG_BIN}/initdb`, '-D', this.pgDir, '-U', 'postgres', '-A', 'trust', '--no-sync']);
    appendFileSync(
      path.join(this.pgDir, 'postgresql.conf'),
      "\nmax_connections = 200\nfsync = on\nlisten_addresses = '127.0.0.1'\n",
    );
  }

  async startPostgres(): Promise<void> {
    this.asPostgres([
      `${PG_BIN}/pg_ctl`,
      '-D',
      this.pgDir,
      '-l',
      path.join(this.pgDir, 'server.log'),
      '-o',
      `-p ${this.pgPort} -k ${this.pgDir}`,
      '-w',
      'start',
    ]);
    await until(
      'PostgreSQL to accept connections',
      async () => {
        const client = new Client({
          connectionString: this.databaseUrl.replace(/heartbeat$/, 'postgres'),
          connectionTimeoutMillis: 2000,
        });
        await client.connect();
        await client.end();
        return true;
      },
      60_000,
    );
  }

  /** `immediate` is a crash (no checkpoint; WAL recovery at the next start); `fast` a clean stop. */
  stopPostgres(mode: 'immediate' | 'fast'): void {
    try {
      this.asPostgres([`${PG_BIN}/pg_ctl`, '-D', this.pgDir, '-m', mode, '-w', 'stop']);
    } catch {
      // not running
    }
  }

  // Redis -----------------------------------------------------------------------------------------

  async startRedis(): Promise<void> {
    const result = spawnSync('redis-server', [
      '--port',
      String(this.redisPort),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.redisDir,
      // As docker-compose.yml ships it.
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--daemonize',
      'yes',
      '--pidfile',
      path.join(this.dir, 'redis.pid'),
      '--logfile',
      path.join(this.logDir, 'redis.log'),
    ]);
    if (result.status !== 0) throw new Error(`redis-server failed: ${result.stderr}`);
    await until(
      'Redis to answer',
      async () => {
        const ping = spawnSync('redis-cli', ['-p', String(this.redisPort), 'ping'], { encoding: 'utf8' });
        return ping.stdout.trim() === 'PONG';
      },
      30_000,
    );
  }

  /** SIGKILL: what a node failure does; the AOF holds what was fsynced (up to the last second). */
  killRedis(): void {
    const pid = readPid(path.join(this.dir, 'redis.pid'));
    if (pid === undefined) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return;
    }
    spawnSync('sh', ['-c', `while kill -0 ${pid} 2>/dev/null; do sleep 0.1; done`]);
    rmSync(path.join(this.dir, 'redis.pid'), { force: true });
  }

  /** Redis's data gone for good (a node replaced without its volume). */
  wipeRedisData(): void {
    rmSync(this.redisDir, { recursive: true, force: true });
    mkdirSync(this.redisDir);
  }

  // S3 --------------------------------------------------------------------------------------------

  async startS3(): Promise<void> {
    const child = spawn(
      process.execPath,
      [
        '--openssl-legacy-provider',
        S3RVER_BIN,
        '--directory',
        this.s3Dir,
        '--address',
        '127.0.0.1',
        '--port',
        String(this.s3Port),
        '--silent',
        '--configure-bucket',
        BUCKET,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', (chunk: Buffer) => appendFileSync(path.join(this.logDir, 's3rver.log'), chunk));
    this.s3rver = child;
    await until(
      's3rver to answer',
      async () => (await fetch(`http://127.0.0.1:${this.s3Port}/${BUCKET}?list-type=2&max-keys=1`)).ok,
      30_000,
      100,
    );
  }

  async killS3(): Promise<void> {
    const child = this.s3rver;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }

  // Apps ------------------------------------------------------------------------------------------

  setAppEnv(name: AppName, env: Record<string, string>): void {
    this.extraEnv[name] = env;
  }

  async startApp(name: AppName, options: { wait?: boolean } = {}): Promise<ChildProcess> {
    const log = path.join(this.logDir, `${name}.log`);
    appendFileSync(log, `\n===== start ${new Date().toISOString()}\n`);
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', ...(this.preload[name] ?? []), path.join(ROOT, ENTRY[name])],
      {
        cwd: ROOT,
        // Its own process group, so a kill takes its model processes too, as a container kill would.
        detached: true,
        env: {
          ...process.env,
          ...this.env(),
          ...(name.startsWith('inference') ? { INFERENCE_WORKER_ID: name } : {}),
          ...this.extraEnv[name],
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout?.on('data', (chunk: Buffer) => appendFileSync(log, chunk));
    child.stderr?.on('data', (chunk: Buffer) => appendFileSync(log, chunk));
    this.apps.set(name, child);
    if (options.wait === false) return child;
    if (name === 'gateway')
      await until(
        'the gateway to answer',
        async () => (await fetch(`${this.base}/health/live`)).status === 200,
        120_000,
      );
    else if (name.startsWith('inference'))
      await until(
        `${name} to serve`,
        async () => {
          if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}); see ${log}`);
          const health = (await (await fetch(`${this.base}/health`)).json()) as { workers?: unknown };
          return JSON.stringify(health).includes(name);
        },
        180_000,
        500,
      );
    return child;
  }

  /** Extra `-r` modules per app (the poison scenario's crash hook). */
  readonly preload: Partial<Record<AppName, string[]>> = {};

  async killApp(name: AppName, signal: NodeJS.Signals): Promise<number> {
    const child = this.apps.get(name);
    if (!child || child.exitCode !== null) return 0;
    const started = Date.now();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (signal === 'SIGKILL') killGroup(child, 'SIGKILL');
    else child.kill(signal);
    await exited;
    // A SIGTERM drain's model processes exit with their parent; a SIGKILL's are taken with the group.
    return Date.now() - started;
  }

  /** SIGSTOP/SIGCONT an app with its model processes (a backlog builds up while they are frozen). */
  signalGroup(name: AppName, signal: 'SIGSTOP' | 'SIGCONT'): void {
    const child = this.apps.get(name);
    if (child && child.exitCode === null) killGroup(child, signal);
  }

  running(name: AppName): boolean {
    const child = this.apps.get(name);
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** Starts again whatever a scenario left stopped, so the next one begins on a whole stack. */
  async heal(): Promise<void> {
    if (!this.s3rver || this.s3rver.exitCode !== null || this.s3rver.signalCode !== null)
      await this.startS3();
    if (readPid(path.join(this.dir, 'redis.pid')) === undefined) await this.startRedis();
    for (const name of Object.keys(ENTRY) as AppName[]) if (!this.running(name)) await this.startApp(name);
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(spawnSync('cat', [file], { encoding: 'utf8' }).stdout.trim());
    if (!pid) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

function uid(user: string): number {
  return Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
}
function gid(user: string): number {
  return Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
}

export function writeJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}
