// A response decided by a service (status, headers, body), for endpoints whose status depends on
// the outcome (200 vs 202) and for idempotent replays of a stored response.
import type { Response } from 'express';

export interface Reply<T = unknown> {
  status: number;
  body: T;
  headers?: Record<string, string>;
}

export function sendReply(res: Response, reply: Reply): void {
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  res.status(reply.status).json(reply.body);
}
