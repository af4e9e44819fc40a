// One JSON line per answered request, inside the request's trace: method, route template, status and
// duration. Error answers are logged by the exception filter with their code instead, and probes
// and scrapes of /health* and /uptime only at debug, so polling does not drown the log. The
// request's server span is named after its route template too (`POST /predict`), which the HTTP
// instrumentation alone cannot know.
import type { NextFunction, Request, Response } from 'express';
import { trace } from '@opentelemetry/api';
import type { Logger } from '@heartbeat/telemetry';

const POLLED = /^\/(health|uptime)(\/|$|\?)/;

/** The route template Express matched (/api/v1/batches/:id), or undefined before or without a match. */
function routeTemplate(request: Request): string | undefined {
  const routePath = (request.route as { path?: unknown } | undefined)?.path;
  return typeof routePath === 'string' ? `${request.baseUrl}${routePath}` : undefined;
}

export function accessLog(
  logger: Logger,
): (request: Request, response: Response, next: NextFunction) => void {
  return (request, response, next) => {
    const started = process.hrtime.bigint();
    // Still inside the request's span when the headers go out (it ends with the response).
    const span = trace.getActiveSpan();
    if (span) {
      const writeHead = response.writeHead.bind(response) as (...args: unknown[]) => Response;
      response.writeHead = ((...args: unknown[]) => {
        const route = routeTemplate(request);
        if (route) {
          span.updateName(`${request.method} ${route}`);
          span.setAttribute('http.route', route);
        }
        return writeHead(...args);
      }) as Response['writeHead'];
    }
    response.once('finish', () => {
      if (response.statusCode >= 400) return;
      const path = routeTemplate(request) ?? request.originalUrl.split('?', 1)[0];
      const fields = {
        method: request.method,
        path,
        statusCode: response.statusCode,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
      };
      logger[POLLED.test(request.originalUrl) ? 'debug' : 'info'](
        fields,
        `${request.method} ${path} answered ${response.statusCode}`,
      );
    });
    next();
  };
}
