import { PassThrough } from 'node:stream';
import { NotFoundException } from '@nestjs/common';
import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@heartbeat/telemetry';
import { ApiError } from './api-error';
import { logErrorResponse, toErrorBody } from './api-exception.filter';

async function logged(
  error: unknown,
  request = {
    method: 'POST',
    originalUrl: '/predict?debug=1',
    baseUrl: '',
    route: { path: '/predict' },
  } as Request,
): Promise<Record<string, unknown>[]> {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
  });
  logErrorResponse(
    createLogger({ service: 'gateway', level: 'trace', destination: stream }),
    request,
    toErrorBody(error).body,
    error,
  );
  await new Promise((resolve) => setImmediate(resolve));
  return lines;
}

describe('how the gateway logs an error answer', () => {
  it('logs a client error (4xx) at info, with its status and code and no stack', async () => {
    for (const error of [
      new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Expected WAV, got a PNG file'),
      new NotFoundException(),
    ]) {
      const [line, ...rest] = await logged(error);
      expect(rest).toEqual([]);
      expect(line).toMatchObject({ level: 'info', method: 'POST', path: '/predict' });
      expect(line.statusCode).toBeGreaterThanOrEqual(400);
      expect(JSON.stringify(line)).not.toMatch(/\n\s+at |"stack"/);
    }
  });

  it('logs the route template, never the URL itself, which can hold a file name or a patient identifier', async () => {
    const [matched] = await logged(new ApiError(400, 'VALIDATION_FAILED', 'id must be a UUID'), {
      method: 'GET',
      originalUrl: '/api/v1/batches/Doe_John_MRN0048213.wav?patient=Doe',
      baseUrl: '',
      route: { path: '/api/v1/batches/:id' },
    } as unknown as Request);
    expect(matched).toMatchObject({ path: '/api/v1/batches/:id', statusCode: 400 });
    const [unmatched] = await logged(new NotFoundException(), {
      method: 'GET',
      originalUrl: '/Doe_John_MRN0048213.wav',
    } as Request);
    expect(unmatched).toMatchObject({ path: 'unmatched', statusCode: 404 });
    expect(JSON.stringify([matched, unmatched])).not.toMatch(/Doe|MRN/);
  });

  it('logs an unexpected failure (500) at error with the stack', async () => {
    const [line] = await logged(new Error('database row missing'));
    expect(line).toMatchObject({
      level: 'error',
      statusCode: 500,
      code: 'INTERNAL_ERROR',
      err: { message: 'database row missing' },
    });
    expect((line.err as { stack: string }).stack).toMatch(/\n\s+at /);
  });
});
