// The parts of a request the write services need: caller, Idempotency-Key and the site header.
import type { Request } from 'express';
import type { RequestWithPrincipal } from '../auth/principal';
import { validateIdempotencyKey } from '../idempotency/idempotency.service';
import { SITE_HEADER } from '../sites/site-resolver';
import type { SubmissionContext } from './submissions.service';

export function submissionContext(request: Request & RequestWithPrincipal, route: string): SubmissionContext {
  return {
    route,
    keyId: request.principal?.keyId,
    idempotencyKey: validateIdempotencyKey(request.headers['idempotency-key']),
    siteHeader: request.headers[SITE_HEADER],
  };
}
