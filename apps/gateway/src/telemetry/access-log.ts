// One JSON line per answered request, inside the request's trace: method, route template, status and
// duration. Error answers are logged by the exception filter with their code instead, and probes
// and scrapes of /health* and /uptime only at debug, so polling does not drown the log.
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '@heartbeat/telemetry';

const POLLED = /^\/(health|uptime)(\/|$|\?)/;

export function accessLog(logger: Logger): (request: Request, response: Response, next: NextFunction) => void {
  return (request, response, next) => {
    const started = process.hrtime.bigint();
    response.once('finish', () => {
      if (response.statusCode >= 400) return;
      const routePath = (request.route as { path?: unknown } | undefined)?.path;
      const path = typeof routePath === 'string' ? `${request.baseUrl}${routePath}` : request.originalUrl.split('?', 1)[0];
      const fields = {
        method: request.method,
        path,
        statusCode: response.statusCode,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
      };
      logger[POLLED.test(request.originalUrl) ? 'debug' : 'info'](fields, `${request.method} ${path} answered ${response.statusCode}`);
    });
    next();
  };
}
