// Nest's own log calls (start-up, route mapping, uncaught errors) routed into the service's JSON
// logger, so the gateway writes one format like every other service instead of Nest's coloured
// text. Structural: it satisfies Nest's LoggerService without this lib depending on Nest.
import type { Logger } from './logger';

type NestLogLevel = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';

const PINO_LEVEL: Record<NestLogLevel, 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal'> = {
  log: 'info',
  error: 'error',
  warn: 'warn',
  debug: 'debug',
  verbose: 'trace',
  fatal: 'fatal',
};

const STACK_LINE = /\n\s+at /;

export class NestJsonLogger {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /**
   * Nest calls `error(message, stack?, context?)` and `log(message, context?)`: the last string is
   * the context (the class that logged), a string with stack frames is a stack.
   */
  private write(level: NestLogLevel, message: unknown, params: unknown[]): void {
    const fields: Record<string, unknown> = {};
    const rest = [...params];
    if (typeof rest.at(-1) === 'string' && !STACK_LINE.test(rest.at(-1) as string))
      fields.context = rest.pop();
    for (const param of rest) {
      if (typeof param === 'string' && STACK_LINE.test(param)) fields.stack = param;
      else if (param instanceof Error) fields.err = param;
      else if (param !== undefined) fields.detail = param;
    }
    const pinoLevel = PINO_LEVEL[level];
    if (message instanceof Error) this.logger[pinoLevel]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null)
      this.logger[pinoLevel]({ ...fields, ...message });
    else this.logger[pinoLevel](fields, String(message));
  }
}
