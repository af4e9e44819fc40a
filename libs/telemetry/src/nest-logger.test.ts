import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';
import { NestJsonLogger } from './nest-logger';

async function linesOf(write: (logger: NestJsonLogger) => void): Promise<Record<string, unknown>[]> {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
  });
  write(new NestJsonLogger(createLogger({ service: 'gateway', level: 'trace', destination: stream })));
  await new Promise((resolve) => setImmediate(resolve));
  return lines;
}

describe('Nest logs as JSON lines', () => {
  it("writes Nest's log(message, context) as an info line with the context as a field", async () => {
    const lines = await linesOf((logger) => logger.log('Mapped {/predict, POST} route', 'RouterExplorer'));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'Mapped {/predict, POST} route',
        context: 'RouterExplorer',
        service: 'gateway',
      }),
    ]);
  });

  it("keeps the stack of Nest's error(message, stack, context) in a field, not in the message", async () => {
    const stack = 'Error: boom\n    at handler (/app/x.ts:1:1)';
    const lines = await linesOf((logger) => logger.error('boom', stack, 'ExceptionsHandler'));
    expect(lines[0]).toMatchObject({ level: 'error', msg: 'boom', stack, context: 'ExceptionsHandler' });
  });

  it('maps verbose to trace and fatal to fatal, and serialises an Error message', async () => {
    const lines = await linesOf((logger) => {
      logger.verbose('detail');
      logger.fatal(new Error('cannot start'));
    });
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      ['trace', 'detail'],
      ['fatal', 'cannot start'],
    ]);
    expect(lines[1]).toHaveProperty('err.stack');
  });
});
