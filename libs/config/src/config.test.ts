import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('gives working dev-machine defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.db.url).toBe('postgres://postgres@127.0.0.1:5432/heartbeat');
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.s3).toMatchObject({
      endpoint: 'http://127.0.0.1:4569',
      bucket: 'heartbeat',
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      region: 'us-east-1',
      forcePathStyle: true,
    });
    expect(config.gateway.port).toBe(8000);
    expect(config.console.port).toBe(3000);
    expect(config.gateway.bootstrapApiKey).toBeUndefined();
  });

  it('reads values from the given environment and converts their types', () => {
    const config = loadConfig({
      PORT: '8080',
      S3_FORCE_PATH_STYLE: 'false',
      HEARTBEAT_BOOTSTRAP_API_KEY: 'hb_secret',
    });
    expect(config.gateway.port).toBe(8080);
    expect(config.s3.forcePathStyle).toBe(false);
    expect(config.gateway.bootstrapApiKey).toBe('hb_secret');
  });

  it('reads the inference worker settings, with the model cache under the repository by default', () => {
    expect(loadConfig({}).inferenceWorker).toMatchObject({
      modelCacheDir: expect.stringMatching(/tmp\/model-cache$/),
      workerId: undefined,
      processes: 'auto',
      executionProvider: 'auto',
      threads: 1,
      shutdownTimeoutMs: 30_000,
    });
    const config = loadConfig({
      INFERENCE_EXECUTION_PROVIDER: 'CUDA',
      INFERENCE_WORKER_ID: 'w-1',
      INFERENCE_THREADS: '2',
      INFERENCE_PROCESSES: '3',
    });
    expect(config.inferenceWorker).toMatchObject({
      executionProvider: 'cuda',
      workerId: 'w-1',
      threads: 2,
      processes: 3,
    });
    expect(loadConfig({ INFERENCE_PROCESSES: 'AUTO' }).inferenceWorker.processes).toBe('auto');
    expect(() => loadConfig({ INFERENCE_PROCESSES: '0' })).toThrow(
      /INFERENCE_PROCESSES must be auto or an integer from 1 to 256, got "0"/,
    );
    expect(() => loadConfig({ INFERENCE_EXECUTION_PROVIDER: 'tpu' })).toThrow(
      /INFERENCE_EXECUTION_PROVIDER must be one of auto, cuda, cpu, got "tpu"/,
    );
  });

  it('rejects a malformed DATABASE_URL with a message naming the variable', () => {
    expect(() => loadConfig({ DATABASE_URL: 'not a url' })).toThrow(
      /DATABASE_URL is not a valid postgres:\/\/ URL/,
    );
  });

  it('rejects a DATABASE_URL of another database and hides its password', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/heartbeat' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('DATABASE_URL is not a valid postgres:// URL');
    expect((error as ConfigError).message).not.toContain('hunter2');
  });

  it('reports every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'eighty', REDIS_URL: 'http://redis', LOG_LEVEL: 'loud' })).toThrow(
      ConfigError,
    );
    try {
      loadConfig({ PORT: 'eighty', REDIS_URL: 'http://redis', LOG_LEVEL: 'loud' });
    } catch (error) {
      const problems = (error as ConfigError).problems;
      expect(problems).toHaveLength(3);
      expect(problems.join('\n')).toMatch(/PORT must be an integer/);
      expect(problems.join('\n')).toMatch(/REDIS_URL is not a valid redis:\/\/ URL/);
      expect(problems.join('\n')).toMatch(/LOG_LEVEL must be one of/);
    }
  });

  it('rejects a fraction outside 0-1, naming the variable', () => {
    expect(() => loadConfig({ PROMOTION_MAX_SENSITIVITY_DROP: '2' })).toThrow(
      /PROMOTION_MAX_SENSITIVITY_DROP must be a number from 0 to 1/,
    );
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ DATABASE_URL: '' }).db.url).toBe('postgres://postgres@127.0.0.1:5432/heartbeat');
  });

  it('returns a frozen object', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.s3)).toBe(true);
  });

  it('resolves the model directory against the repository root', () => {
    expect(loadConfig({}).model.dir).toMatch(/\/models$/);
    expect(loadConfig({ MODEL_DIR: '/opt/models' }).model.dir).toBe('/opt/models');
  });

  it('reads a Redis Cluster or Sentinels, and refuses both at once or a cluster without a hash-tagged queue prefix', () => {
    expect(loadConfig({}).redis).toMatchObject({ clusterNodes: undefined, sentinels: undefined });
    const cluster = loadConfig({
      REDIS_CLUSTER_NODES: 'redis-0:7000, redis-1:7001,[::1]:7002',
      QUEUE_PREFIX: '{heartbeat}',
    });
    expect(cluster.redis.clusterNodes).toEqual([
      { host: 'redis-0', port: 7000 },
      { host: 'redis-1', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    const sentinel = loadConfig({ REDIS_SENTINELS: 'sentinel:26379', REDIS_SENTINEL_NAME: 'queue' });
    expect(sentinel.redis).toMatchObject({
      sentinels: [{ host: 'sentinel', port: 26379 }],
      sentinelName: 'queue',
    });
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as ConfigError).problems.join('\n');
      }
      return '';
    };
    expect(problems({ REDIS_CLUSTER_NODES: 'redis-0:7000' })).toMatch(
      /QUEUE_PREFIX "heartbeat" has no hash tag.*"\{heartbeat\}"/,
    );
    expect(problems({ REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 'b:2', QUEUE_PREFIX: '{hb}' })).toMatch(
      /both set/,
    );
    expect(problems({ REDIS_SENTINELS: 'sentinel' })).toMatch(/REDIS_SENTINELS must list host:port/);
    expect(problems({ REDIS_SENTINELS: 'sentinel:99999' })).toMatch(/REDIS_SENTINELS must list host:port/);
  });
});
