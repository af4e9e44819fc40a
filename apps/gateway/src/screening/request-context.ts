// The parts of a request the write services need: caller and Idempotency-Key.
import type { Request } from 'express';
import type { RequestWithPrincipal } from '../auth/principal';
import { validateIdempotencyKey } from '../idempotency/idempotency.service';
import type { SubmissionContext } from './submissions.service';

export function submissionContext(request: Request & RequestWithPrincipal, route: string): SubmissionContext {
  return { route, keyId: request.principal?.keyId, idempotencyKey: validateIdempotencyKey(request.headers['idempotency-key']) };
}
