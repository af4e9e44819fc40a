// Every HeartBeat setting comes from an environment variable, is validated here once at start-up,
// and is handed to the rest of the code as a typed, frozen object. Nothing else reads process.env.
import path from 'node:path';
import { z } from 'zod';

/** Raised when one or more variables are invalid; the message names every one of them. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const NODE_ENVS = ['development', 'test', 'production'] as const;

// The repository root, so `models/` means the same directory whichever app's folder a process starts in.
const REPOSITORY_ROOT = path.resolve(__dirname, '../../..');

/** Hides the password of a URL so error messages can quote the value safely. */
function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return value;
  }
}

function urlWithProtocols(variable: string, label: string, protocols: readonly string[]) {
  return z.string().superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: `${variable} is not a valid ${label} URL: "${redactUrl(value)}"`,
      });
      return;
    }
    if (!protocols.includes(url.protocol) || !url.hostname) {
      ctx.addIssue({
        code: 'custom',
        message: `${variable} is not a valid ${label} URL: "${redactUrl(value)}" (expected ${protocols.join(' or ')}//host...)`,
      });
    }
  });
}

function integer(variable: string, { min, max }: { min: number; max: number }) {
  return z.string().transform((value, ctx) => {
    const parsed = Number(value.trim());
    if (value.trim() === '' || !Number.isInteger(parsed) || parsed < min || parsed > max) {
      ctx.addIssue({
        code: 'custom',
        message: `${variable} must be an integer from ${min} to ${max}, got "${value}"`,
      });
      return z.NEVER;
    }
    return parsed;
  });
}

function fraction(variable: string) {
  return z.string().transform((value, ctx) => {
    const parsed = Number(value.trim());
    if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0 || parsed > 1) {
      ctx.addIssue({ code: 'custom', message: `${variable} must be a number from 0 to 1, got "${value}"` });
      return z.NEVER;
    }
    return parsed;
  });
}

/** `auto`, or an integer in range; `auto` is resolved by whoever knows what it means (e.g. the CPU count). */
function autoOrInteger(variable: string, { min, max }: { min: number; max: number }) {
  return z.string().transform((value, ctx): number | 'auto' => {
    if (value.trim().toLowerCase() === 'auto') return 'auto';
    const parsed = Number(value.trim());
    if (value.trim() === '' || !Number.isInteger(parsed) || parsed < min || parsed > max) {
      ctx.addIssue({
        code: 'custom',
        message: `${variable} must be auto or an integer from ${min} to ${max}, got "${value}"`,
      });
      return z.NEVER;
    }
    return parsed;
  });
}

const port = (variable: string) => integer(variable, { min: 0, max: 65_535 });

function boolean(variable: string) {
  return z.string().transform((value, ctx) => {
    const normalised = value.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(normalised)) return true;
    if (['false', '0', 'no', 'off'].includes(normalised)) return false;
    ctx.addIssue({ code: 'custom', message: `${variable} must be true or false, got "${value}"` });
    return z.NEVER;
  });
}

function oneOf<const T extends readonly [string, ...string[]]>(variable: string, values: T) {
  return z.string().transform((value, ctx) => {
    const normalised = value.trim().toLowerCase();
    if ((values as readonly string[]).includes(normalised)) return normalised as T[number];
    ctx.addIssue({
      code: 'custom',
      message: `${variable} must be one of ${values.join(', ')}, got "${value}"`,
    });
    return z.NEVER;
  });
}

function nonEmpty(variable: string) {
  return z.string().transform((value, ctx) => {
    const trimmed = value.trim();
    if (trimmed === '') {
      ctx.addIssue({ code: 'custom', message: `${variable} must not be empty` });
      return z.NEVER;
    }
    return trimmed;
  });
}

/** A comma-separated list of web origins (scheme://host[:port]); empty for none. */
function originList(variable: string) {
  return z.string().transform((value, ctx): string[] => {
    const origins: string[] = [];
    for (const item of value
      .split(',')
      .map((each) => each.trim())
      .filter(Boolean)) {
      let origin: string | undefined;
      try {
        const url = new URL(item);
        if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin === item.replace(/\/$/, ''))
          origin = url.origin;
      } catch {
        origin = undefined;
      }
      if (!origin) {
        ctx.addIssue({
          code: 'custom',
          message: `${variable} must list origins such as https://console.example.org, comma-separated (no path), got "${item}"`,
        });
        return z.NEVER;
      }
      origins.push(origin);
    }
    return origins;
  });
}

/** A comma-separated list of host:port (IPv6 hosts in brackets), at least one. */
function hostPortList(variable: string) {
  return z.string().transform((value, ctx) => {
    const nodes: { host: string; port: number }[] = [];
    for (const entry of value
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)) {
      const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(entry);
      const port = Number(match?.[2]);
      if (!match || port < 1 || port > 65535) {
        ctx.addIssue({
          code: 'custom',
          message: `${variable} must list host:port entries separated by commas (e.g. redis-0:6379,redis-1:6379), got "${entry}"`,
        });
        return z.NEVER;
      }
      nodes.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port });
    }
    if (nodes.length === 0) {
      ctx.addIssue({ code: 'custom', message: `${variable} names no host:port` });
      return z.NEVER;
    }
    return nodes;
  });
}

/** Settings that are valid alone but not together. */
function crossCheck(settings: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (settings.REDIS_CLUSTER_NODES && settings.REDIS_SENTINELS)
    problems.push(
      'REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set: Redis is either a cluster or a Sentinel-watched primary; unset one.',
    );
  const prefix = settings.QUEUE_PREFIX;
  if (settings.REDIS_CLUSTER_NODES && typeof prefix === 'string' && !/\{[^{}]+\}/.test(prefix))
    problems.push(
      `QUEUE_PREFIX "${prefix}" has no hash tag: on a Redis Cluster every queue key must hash to one slot (BullMQ's scripts touch many keys at once); set QUEUE_PREFIX to e.g. "{${prefix}}".`,
    );
  return problems;
}

// Each entry: the variable's schema and its dev-machine default (undefined = optional, no default).
const variables = {
  NODE_ENV: [oneOf('NODE_ENV', NODE_ENVS), 'development'],
  LOG_LEVEL: [oneOf('LOG_LEVEL', LOG_LEVELS), 'info'],

  DATABASE_URL: [
    urlWithProtocols('DATABASE_URL', 'postgres://', ['postgres:', 'postgresql:']),
    'postgres://postgres@127.0.0.1:5432/heartbeat',
  ],
  DATABASE_POOL_SIZE: [integer('DATABASE_POOL_SIZE', { min: 1, max: 1000 }), '10'],

  REDIS_URL: [urlWithProtocols('REDIS_URL', 'redis://', ['redis:', 'rediss:']), 'redis://127.0.0.1:6379'],
  // A Redis Cluster (host:port of some of its nodes) or Sentinels (host:port of each) instead of the
  // single server of REDIS_URL, whose credentials and TLS still apply. At most one of the two.
  REDIS_CLUSTER_NODES: [hostPortList('REDIS_CLUSTER_NODES'), undefined],
  REDIS_SENTINELS: [hostPortList('REDIS_SENTINELS'), undefined],
  REDIS_SENTINEL_NAME: [nonEmpty('REDIS_SENTINEL_NAME'), 'mymaster'],
  QUEUE_PREFIX: [nonEmpty('QUEUE_PREFIX'), 'heartbeat'],

  S3_ENDPOINT: [urlWithProtocols('S3_ENDPOINT', 'http(s)://', ['http:', 'https:']), 'http://127.0.0.1:4569'],
  S3_BUCKET: [nonEmpty('S3_BUCKET'), 'heartbeat'],
  S3_ACCESS_KEY_ID: [nonEmpty('S3_ACCESS_KEY_ID'), 'S3RVER'],
  S3_SECRET_ACCESS_KEY: [nonEmpty('S3_SECRET_ACCESS_KEY'), 'S3RVER'],
  S3_REGION: [nonEmpty('S3_REGION'), 'us-east-1'],
  S3_FORCE_PATH_STYLE: [boolean('S3_FORCE_PATH_STYLE'), 'true'],
  S3_PRESIGNED_URL_TTL_SECONDS: [integer('S3_PRESIGNED_URL_TTL_SECONDS', { min: 1, max: 604_800 }), '900'],

  PORT: [port('PORT'), '8000'],
  /** Address the gateway listens on: loopback unless a deployment opens it (the images set 0.0.0.0). */
  HOST: [nonEmpty('HOST'), '127.0.0.1'],
  GATEWAY_METRICS_PORT: [port('GATEWAY_METRICS_PORT'), '9100'],
  HEARTBEAT_BOOTSTRAP_API_KEY: [nonEmpty('HEARTBEAT_BOOTSTRAP_API_KEY'), undefined],
  MAX_UPLOAD_BYTES: [
    integer('MAX_UPLOAD_BYTES', { min: 1, max: Number.MAX_SAFE_INTEGER }),
    String(50 * 1024 * 1024),
  ],
  MAX_BATCH_FILES: [integer('MAX_BATCH_FILES', { min: 1, max: 100_000 }), '1000'],
  PREDICT_TIMEOUT_MS: [integer('PREDICT_TIMEOUT_MS', { min: 1, max: 3_600_000 }), '30000'],
  STALE_UPLOAD_TIMEOUT_MS: [integer('STALE_UPLOAD_TIMEOUT_MS', { min: 1_000, max: 86_400_000 }), '900000'],
  STALE_UPLOAD_SWEEP_INTERVAL_MS: [
    integer('STALE_UPLOAD_SWEEP_INTERVAL_MS', { min: 100, max: 3_600_000 }),
    '60000',
  ],
  PUBLIC_READS: [boolean('PUBLIC_READS'), 'false'],
  RATE_LIMIT_PER_MINUTE: [integer('RATE_LIMIT_PER_MINUTE', { min: 1, max: 1_000_000 }), '600'],
  CORS_ORIGINS: [originList('CORS_ORIGINS'), ''],
  RECORDING_RETENTION_DAYS: [integer('RECORDING_RETENTION_DAYS', { min: 0, max: 36_500 }), '0'],

  CONSOLE_PORT: [port('CONSOLE_PORT'), '3000'],

  INFERENCE_WORKER_METRICS_PORT: [port('INFERENCE_WORKER_METRICS_PORT'), '9101'],
  INFERENCE_PROCESSES: [autoOrInteger('INFERENCE_PROCESSES', { min: 1, max: 256 }), 'auto'],
  INFERENCE_CONCURRENCY: [integer('INFERENCE_CONCURRENCY', { min: 1, max: 1024 }), '4'],
  INFERENCE_MAX_BATCH_SIZE: [integer('INFERENCE_MAX_BATCH_SIZE', { min: 1, max: 4096 }), '32'],
  INFERENCE_MAX_BATCH_WAIT_MS: [integer('INFERENCE_MAX_BATCH_WAIT_MS', { min: 0, max: 10_000 }), '5'],
  MODEL_POLL_INTERVAL_MS: [integer('MODEL_POLL_INTERVAL_MS', { min: 100, max: 86_400_000 }), '30000'],
  INFERENCE_MODEL_CACHE_DIR: [nonEmpty('INFERENCE_MODEL_CACHE_DIR'), 'tmp/model-cache'],
  INFERENCE_WORKER_ID: [nonEmpty('INFERENCE_WORKER_ID'), undefined],
  INFERENCE_EXECUTION_PROVIDER: [oneOf('INFERENCE_EXECUTION_PROVIDER', ['auto', 'cuda', 'cpu']), 'auto'],
  INFERENCE_THREADS: [integer('INFERENCE_THREADS', { min: 1, max: 256 }), '1'],
  INFERENCE_SHUTDOWN_TIMEOUT_MS: [
    integer('INFERENCE_SHUTDOWN_TIMEOUT_MS', { min: 0, max: 3_600_000 }),
    '30000',
  ],
  INFERENCE_DEPENDENCY_HOLD_MS: [integer('INFERENCE_DEPENDENCY_HOLD_MS', { min: 100, max: 600_000 }), '5000'],

  TRAINING_WORKER_METRICS_PORT: [port('TRAINING_WORKER_METRICS_PORT'), '9102'],
  TRAINING_BASE_DATA_PREFIX: [nonEmpty('TRAINING_BASE_DATA_PREFIX'), 'datasets/base/'],
  TRAINING_BASE_DATA_DIR: [nonEmpty('TRAINING_BASE_DATA_DIR'), undefined],
  TRAINING_WORK_DIR: [nonEmpty('TRAINING_WORK_DIR'), 'tmp/training'],
  TRAINING_EVALUATION_FRACTION: [fraction('TRAINING_EVALUATION_FRACTION'), '0.2'],
  TRAINING_DEPENDENCY_RETRY_MS: [integer('TRAINING_DEPENDENCY_RETRY_MS', { min: 100, max: 600_000 }), '5000'],
  TRAINING_DEPENDENCY_WAIT_LIMIT_MS: [
    integer('TRAINING_DEPENDENCY_WAIT_LIMIT_MS', { min: 0, max: 86_400_000 }),
    '900000',
  ],
  PROMOTION_MIN_MACC_GAIN: [fraction('PROMOTION_MIN_MACC_GAIN'), '0'],
  PROMOTION_MAX_SENSITIVITY_DROP: [fraction('PROMOTION_MAX_SENSITIVITY_DROP'), '0.02'],

  MODEL_DIR: [nonEmpty('MODEL_DIR'), 'models'],
  MODEL_BACKEND: [oneOf('MODEL_BACKEND', ['auto', 'onnx', 'tfjs']), 'auto'],
} as const satisfies Record<string, readonly [z.ZodType<unknown, string>, string | undefined]>;

type VariableName = keyof typeof variables;
type Parsed<N extends VariableName> = z.output<(typeof variables)[N][0]>;
type Settings = {
  [N in VariableName]: (typeof variables)[N][1] extends undefined ? Parsed<N> | undefined : Parsed<N>;
};

function parseVariables(env: Readonly<Record<string, string | undefined>>): Settings {
  const problems: string[] = [];
  const settings: Record<string, unknown> = {};
  for (const [name, [schema, fallback]] of Object.entries(variables) as [
    VariableName,
    (typeof variables)[VariableName],
  ][]) {
    const raw = env[name] === undefined || env[name] === '' ? fallback : env[name];
    if (raw === undefined) {
      settings[name] = undefined;
      continue;
    }
    const result = (schema as z.ZodType<unknown, string>).safeParse(raw);
    if (result.success) {
      settings[name] = result.data;
    } else {
      // Our own refinements already name the variable; zod's generic ones (e.g. number ranges) do not.
      for (const issue of result.error.issues) {
        problems.push(
          issue.message.startsWith(name)
            ? issue.message
            : `${name} is invalid: ${issue.message} (got "${raw}")`,
        );
      }
    }
  }
  if (problems.length === 0) problems.push(...crossCheck(settings));
  if (problems.length > 0) throw new ConfigError(problems);
  return settings as Settings;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function buildConfig(s: Settings) {
  return {
    env: s.NODE_ENV,
    logLevel: s.LOG_LEVEL,
    db: { url: s.DATABASE_URL, poolSize: s.DATABASE_POOL_SIZE },
    redis: {
      url: s.REDIS_URL,
      /** Set for a Redis Cluster (QUEUE_PREFIX then carries a hash tag). */
      clusterNodes: s.REDIS_CLUSTER_NODES,
      /** Set for a primary watched by Sentinel, named sentinelName. */
      sentinels: s.REDIS_SENTINELS,
      sentinelName: s.REDIS_SENTINEL_NAME,
    },
    queue: { prefix: s.QUEUE_PREFIX },
    s3: {
      endpoint: s.S3_ENDPOINT,
      bucket: s.S3_BUCKET,
      accessKeyId: s.S3_ACCESS_KEY_ID,
      secretAccessKey: s.S3_SECRET_ACCESS_KEY,
      region: s.S3_REGION,
      forcePathStyle: s.S3_FORCE_PATH_STYLE,
      presignedUrlTtlSeconds: s.S3_PRESIGNED_URL_TTL_SECONDS,
    },
    gateway: {
      port: s.PORT,
      host: s.HOST,
      metricsPort: s.GATEWAY_METRICS_PORT,
      bootstrapApiKey: s.HEARTBEAT_BOOTSTRAP_API_KEY,
      maxUploadBytes: s.MAX_UPLOAD_BYTES,
      maxBatchFiles: s.MAX_BATCH_FILES,
      predictTimeoutMs: s.PREDICT_TIMEOUT_MS,
      /**
       * A batch still `receiving` after this long without a new recording was left by a request that
       * died (e.g. its gateway stopped); a prediction pending this long without a job is queued again.
       */
      staleUploadTimeoutMs: s.STALE_UPLOAD_TIMEOUT_MS,
      /** How often the gateway looks for them. */
      staleUploadSweepIntervalMs: s.STALE_UPLOAD_SWEEP_INTERVAL_MS,
      /** Lets reads (not recording downloads) through without a key: off unless a site turns it on. */
      publicReads: s.PUBLIC_READS,
      rateLimitPerMinute: s.RATE_LIMIT_PER_MINUTE,
      /** Browser origins allowed to call the API cross-origin; none (CORS closed) unless listed. */
      corsOrigins: s.CORS_ORIGINS,
      /** Recordings (their audio, predictions and training samples) older than this many days are purged; 0 keeps them. */
      recordingRetentionDays: s.RECORDING_RETENTION_DAYS,
    },
    console: { port: s.CONSOLE_PORT },
    inferenceWorker: {
      metricsPort: s.INFERENCE_WORKER_METRICS_PORT,
      /** Worker processes in this container or host; `auto` = one per CPU core it may use (one on an explicit GPU). */
      processes: s.INFERENCE_PROCESSES,
      concurrency: s.INFERENCE_CONCURRENCY,
      maxBatchSize: s.INFERENCE_MAX_BATCH_SIZE,
      maxBatchWaitMs: s.INFERENCE_MAX_BATCH_WAIT_MS,
      modelPollIntervalMs: s.MODEL_POLL_INTERVAL_MS,
      /** Where promoted model versions are downloaded from the registry (one subdirectory per version). */
      modelCacheDir: path.resolve(REPOSITORY_ROOT, s.INFERENCE_MODEL_CACHE_DIR),
      /** Presence and log identity; default `<hostname>-<pid>`. */
      workerId: s.INFERENCE_WORKER_ID,
      executionProvider: s.INFERENCE_EXECUTION_PROVIDER,
      threads: s.INFERENCE_THREADS,
      shutdownTimeoutMs: s.INFERENCE_SHUTDOWN_TIMEOUT_MS,
      /** How long the prediction queue holds off after a job found S3 or the database out of reach (the job waits, no attempt spent). */
      dependencyHoldMs: s.INFERENCE_DEPENDENCY_HOLD_MS,
    },
    trainingWorker: {
      metricsPort: s.TRAINING_WORKER_METRICS_PORT,
      /** Scratch space of training runs (data set, model directories); one subdirectory per run. */
      workDir: path.resolve(REPOSITORY_ROOT, s.TRAINING_WORK_DIR),
      /** While S3 or PostgreSQL is out of reach, a run's step tries again after this pause... */
      dependencyRetryMs: s.TRAINING_DEPENDENCY_RETRY_MS,
      /** ...until it has waited this long in all; then the run fails, naming the dependency. */
      dependencyWaitLimitMs: s.TRAINING_DEPENDENCY_WAIT_LIMIT_MS,
    },
    training: {
      /** Object-storage prefix of the base data set, used when TRAINING_BASE_DATA_DIR is not set. */
      baseDataPrefix: s.TRAINING_BASE_DATA_PREFIX,
      /** A local folder holding the base data set (PhysioNet or normal/abnormal layout); wins over the prefix. */
      baseDataDir:
        s.TRAINING_BASE_DATA_DIR === undefined
          ? undefined
          : path.resolve(REPOSITORY_ROOT, s.TRAINING_BASE_DATA_DIR),
      /** Share of every (subset, label) group kept out of training as the fixed evaluation set. */
      evaluationFraction: s.TRAINING_EVALUATION_FRACTION,
      promotionMinMaccGain: s.PROMOTION_MIN_MACC_GAIN,
      promotionMaxSensitivityDrop: s.PROMOTION_MAX_SENSITIVITY_DROP,
    },
    model: {
      dir: path.resolve(REPOSITORY_ROOT, s.MODEL_DIR),
      backend: s.MODEL_BACKEND,
    },
  };
}

export type Config = Readonly<DeepReadonly<ReturnType<typeof buildConfig>>>;
type DeepReadonly<T> = { readonly [K in keyof T]: T[K] extends object ? DeepReadonly<T[K]> : T[K] };

/**
 * Reads and validates every setting. Throws a ConfigError naming each bad variable.
 * Empty strings count as unset, so `FOO=` in a .env file falls back to the default.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  return deepFreeze(buildConfig(parseVariables(env)));
}

/** Names of every variable loadConfig reads, for documentation and deployment templates. */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze(Object.keys(variables));
