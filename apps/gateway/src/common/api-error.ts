// Every error the gateway answers with: an HTTP status, a stable machine-readable `code` clients can
// branch on, and a message written for the person reading it.
import { HttpException } from '@nestjs/common';
import type { ErrorCode } from './error-catalogue';

/** Every code the gateway sends: the catalogue's (one status and one meaning each). */
export type ApiErrorCode = ErrorCode;

export interface ApiErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export class ApiError extends HttpException {
  constructor(
    readonly statusCode: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Extra response headers, e.g. Retry-After for 429. */
    readonly headers: Record<string, string> = {},
  ) {
    super({ statusCode, code, message, ...(details ? { details } : {}) } satisfies ApiErrorBody, statusCode);
    this.name = 'ApiError';
  }

  toBody(): ApiErrorBody {
    return {
      statusCode: this.statusCode,
      code: this.code,
      message: this.message,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export const notFound = (code: ApiErrorCode, what: string, id: string) =>
  new ApiError(404, code, `No ${what} with id ${id}`, { id });
