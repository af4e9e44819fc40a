import { PassThrough } from 'node:stream';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { describe, expect, it, vi } from 'vitest';
import { createLogger, exitOnStartupFailure } from './logger';

function capture() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
  });
  return { stream, lines };
}

describe('structured logger', () => {
  it('writes one JSON object per line with service, level name, time and fields', async () => {
    const { stream, lines } = capture();
    const logger = createLogger({
      service: 'inference-worker',
      destination: stream,
      base: { workerId: 'w1' },
    });
    logger.info({ jobId: '42' }, 'job done');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      service: 'inference-worker',
      workerId: 'w1',
      level: 'info',
      jobId: '42',
      msg: 'job done',
    });
    expect(typeof lines[0].time).toBe('string');
  });

  it('drops lines below the configured level', async () => {
    const { stream, lines } = capture();
    const logger = createLogger({ service: 's', level: 'warn', destination: stream });
    logger.info('quiet');
    logger.warn('loud');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((line) => line.msg)).toEqual(['loud']);
  });
});

describe('trace ids on log lines', () => {
  it('adds trace_id and span_id to lines written inside a span, and nothing outside one', async () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      const { stream, lines } = capture();
      const logger = createLogger({ service: 'gateway', destination: stream });
      const span = trace.wrapSpanContext({
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceFlags: TraceFlags.SAMPLED,
      });
      context.with(trace.setSpan(context.active(), span), () => logger.info('inside'));
      logger.info('outside');
      await new Promise((resolve) => setImmediate(resolve));
      expect(lines[0]).toMatchObject({
        msg: 'inside',
        trace_id: '0af7651916cd43dd8448eb211c80319c',
        span_id: 'b7ad6b7169203331',
        trace_flags: '01',
      });
      expect(lines[1]).not.toHaveProperty('trace_id');
    } finally {
      context.disable();
      manager.disable();
    }
  });
});

describe('a service that cannot start', () => {
  it('says why on one fatal JSON line and exits with 1', async () => {
    const { stream, lines } = capture();
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    try {
      exitOnStartupFailure('gateway', 'DATABASE_URL must be a postgres:// URL', stream);
      await new Promise((resolve) => setImmediate(resolve));
      expect(lines).toEqual([
        expect.objectContaining({
          service: 'gateway',
          level: 'fatal',
          msg: 'gateway could not start: DATABASE_URL must be a postgres:// URL',
        }),
      ]);
      expect(exit).toHaveBeenCalledWith(1);
    } finally {
      exit.mockRestore();
    }
  });
});
