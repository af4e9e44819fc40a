// Every error the gateway answers with: an HTTP status, a stable machine-readable `code` clients can
// branch on, and a message written for the person reading it.
import { HttpException } from '@nestjs/common';

export const API_ERROR_CODES = [
  'API_KEY_MISSING',
  'API_KEY_INVALID',
  'FORBIDDEN_ROLE',
  'RATE_LIMITED',
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'BATCH_NOT_FOUND',
  'PREDICTION_NOT_FOUND',
  'RECORDING_NOT_FOUND',
  'API_KEY_NOT_FOUND',
  'NO_PROMOTED_MODEL',
  'FILE_TOO_LARGE',
  'TOO_MANY_FILES',
  'PAYLOAD_TOO_LARGE',
  'NO_FILES',
  'UNEXPECTED_FIELD',
  'NOT_MULTIPART',
  'MALFORMED_MULTIPART',
  'UNSUPPORTED_FORMAT',
  'UNSUPPORTED_MEDIA_TYPE',
  'OBJECT_NOT_FOUND',
  'IDEMPOTENCY_KEY_IN_USE',
  'IDEMPOTENCY_KEY_INVALID',
  'PREDICTION_FAILED',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const;

/** Codes of the gateway itself; audio errors reported by workers (TOO_SHORT, CORRUPT_AUDIO...) pass through. */
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export interface ApiErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export class ApiError extends HttpException {
  constructor(
    readonly statusCode: number,
    readonly code: ApiErrorCode | (string & {}),
    message: string,
    readonly details?: Record<string, unknown>,
    /** Extra response headers, e.g. Retry-After for 429. */
    readonly headers: Record<string, string> = {},
  ) {
    super({ statusCode, code, message, ...(details ? { details } : {}) } satisfies ApiErrorBody, statusCode);
    this.name = 'ApiError';
  }

  toBody(): ApiErrorBody {
    return { statusCode: this.statusCode, code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

export const notFound = (code: ApiErrorCode, what: string, id: string) =>
  new ApiError(404, code, `No ${what} with id ${id}`, { id });
