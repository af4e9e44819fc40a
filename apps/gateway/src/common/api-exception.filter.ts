// Turns every error into {statusCode, code, message}: ApiErrors as they are, Nest's own HTTP
// exceptions (unknown route, body too large) with a code derived from the status, S3, Redis or
// PostgreSQL out of reach 503 with Retry-After (the client should try again), anything else 500.
import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { isDatabaseUnavailable } from '@heartbeat/db';
import { isQueueUnavailable } from '@heartbeat/queue';
import { StorageUnavailableError } from '@heartbeat/storage';
import { silentLogger, type Dependency, type Logger } from '@heartbeat/telemetry';
import { ApiError, type ApiErrorBody } from './api-error';

/** A refused request body up to this size is read to its end before the answer (see ApiExceptionFilter). */
const DRAIN_BEFORE_ANSWER_BYTES = 256 * 1024 * 1024;
const DRAIN_BEFORE_ANSWER_MS = 30_000;

/** Seconds a client is asked to wait before retrying while a dependency is out of reach. */
const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'API_KEY_MISSING',
  403: 'FORBIDDEN_ROLE',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

export function toErrorBody(error: unknown): { body: ApiErrorBody; headers: Record<string, string> } {
  if (error instanceof ApiError) return { body: error.toBody(), headers: error.headers };
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : Array.isArray((response as { message?: unknown }).message)
          ? (response as { message: string[] }).message.join('; ')
          : String((response as { message?: unknown }).message ?? error.message);
    return {
      body: { statusCode: status, code: CODE_BY_STATUS[status] ?? `HTTP_${status}`, message },
      headers: {},
    };
  }
  // body-parser and other express middleware raise errors with `status`/`type`.
  const status = (error as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const type = (error as { type?: string }).type;
    const code =
      type === 'entity.too.large'
        ? 'PAYLOAD_TOO_LARGE'
        : type === 'entity.parse.failed'
          ? 'MALFORMED_JSON'
          : (CODE_BY_STATUS[status] ?? `HTTP_${status}`);
    return { body: { statusCode: status, code, message: (error as Error).message }, headers: {} };
  }
  const unavailable = unavailableDependency(error);
  const dependency = unavailable && DEPENDENCY_NAMES[unavailable];
  if (dependency)
    return {
      body: {
        statusCode: 503,
        code: 'SERVICE_UNAVAILABLE',
        message:
          `The gateway cannot reach ${dependency} right now. ` +
          `Retry in ${DEPENDENCY_RETRY_AFTER_SECONDS} s or so; a retried upload with the same Idempotency-Key creates nothing twice.`,
      },
      headers: { 'Retry-After': String(DEPENDENCY_RETRY_AFTER_SECONDS) },
    };
  return { body: { statusCode: 500, code: 'INTERNAL_ERROR', message: 'Internal server error' }, headers: {} };
}

/**
 * A 4xx is the client's mistake answered as designed: info, no stack. A 503 for a dependency out of
 * reach is an outage the operator already sees elsewhere: warn, no stack. Any other 5xx is our
 * fault: error with the stack. The path is the route template (/api/v1/batches/:id), or `unmatched`:
 * a URL's own segments and query can hold a file name or a patient identifier, so they are not logged.
 */
export function logErrorResponse(logger: Logger, request: Request, body: ApiErrorBody, error: unknown): void {
  const routePath = (request.route as { path?: unknown } | undefined)?.path;
  const path = typeof routePath === 'string' ? `${request.baseUrl ?? ''}${routePath}` : 'unmatched';
  const fields = { method: request.method, path, statusCode: body.statusCode, code: body.code };
  const summary = `${request.method} ${path} answered ${body.statusCode} ${body.code}`;
  if (body.statusCode < 500) logger.info(fields, summary);
  else if (body.code === 'SERVICE_UNAVAILABLE')
    logger.warn({ ...fields, reason: (error as Error)?.message }, summary);
  else logger.error({ ...fields, err: error }, summary);
}

const DEPENDENCY_NAMES: Record<Dependency, string> = {
  s3: 'object storage',
  redis: 'its job queue (Redis)',
  postgres: 'its database',
};

/** Which dependency `error` says is out of reach, if any. */
export function unavailableDependency(error: unknown): Dependency | undefined {
  if (error instanceof StorageUnavailableError) return 's3';
  if (isQueueUnavailable(error)) return 'redis';
  if (isDatabaseUnavailable(error)) return 'postgres';
  return undefined;
}

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly logger: Logger = silentLogger(),
    /** Told of every request that failed because a dependency was out of reach (the dependency-error counter). */
    private readonly onDependencyUnavailable?: (dependency: Dependency, request: Request) => void,
  ) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const context = host.switchToHttp();
    const response = context.getResponse<Response>();
    const request = context.getRequest<Request>();
    const { body, headers } = toErrorBody(error);
    logErrorResponse(this.logger, request, body, error);
    const dependency = unavailableDependency(error);
    if (dependency) this.onDependencyUnavailable?.(dependency, request);
    if (response.headersSent) {
      response.destroy();
      return;
    }
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    const send = (): void => void response.status(body.statusCode).json(body);
    if (request.readableEnded) return send();
    // The request body may still be arriving (a refused upload). A client still writing when the
    // answer comes and the connection closes sees EPIPE instead of the answer, so the rest of a
    // body of bounded size is read and dropped first; a larger one is answered at once and the
    // connection closed.
    request.resume();
    const announced = Number(request.headers['content-length']);
    if (!(announced <= DRAIN_BEFORE_ANSWER_BYTES)) {
      response.setHeader('Connection', 'close');
      return send();
    }
    const timer = setTimeout(send, DRAIN_BEFORE_ANSWER_MS);
    const answer = () => {
      clearTimeout(timer);
      if (!response.headersSent) send();
    };
    request.once('end', answer);
    request.once('error', answer);
    request.once('close', answer);
  }
}
