// Idempotency-Key on POSTs: the first request with a key runs and its response is stored; a retry
// with the same key on the same route (by the same caller) gets that response again and creates
// nothing. A retry while the first is still running gets 409, so two uploads never race.
import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@heartbeat/config';
import { ApiError } from '../common/api-error';
import type { Reply } from '../common/reply';
import { CONFIG } from '../common/tokens';
import { IdempotencyRepository } from '../infrastructure/idempotency.repository';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/**
 * How long a key stays locked after its request was last heard of: STALE_UPLOAD_TIMEOUT_MS, the
 * time after which a quiet upload counts as broken off. A running request renews its lock every
 * third of that, so a retry takes over only from a request that is gone (a crashed gateway).
 */
export function idempotencyLockSeconds(config: Pick<Config, 'gateway'>): number {
  return Math.max(1, Math.ceil(config.gateway.staleUploadTimeoutMs / 1000));
}

export interface IdempotencyContext {
  /** The client's Idempotency-Key header, if any. */
  key?: string;
  /** Route template, e.g. POST /api/v1/batches. */
  route: string;
  /** The API key id, or 'anonymous'. */
  caller: string;
}

/** A stable fingerprint of key + route + caller, also used as the batch's idempotency key in the database. */
export function idempotencyScope({ key, route, caller }: IdempotencyContext): string | undefined {
  if (key === undefined) return undefined;
  return createHash('sha256').update(`${route}\n${caller}\n${key}`).digest('hex');
}

export function validateIdempotencyKey(raw: string | string[] | undefined): string | undefined {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(value))
    throw new ApiError(
      400,
      'IDEMPOTENCY_KEY_INVALID',
      'Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good choice).',
    );
  return value;
}

@Injectable()
export class IdempotencyService {
  private readonly lockSeconds: number;

  constructor(
    @Inject(IdempotencyRepository)
    private readonly store: Pick<IdempotencyRepository, 'find' | 'lock' | 'renew' | 'save' | 'release'>,
    @Inject(CONFIG) config: Pick<Config, 'gateway'>,
  ) {
    this.lockSeconds = idempotencyLockSeconds(config);
  }

  /**
   * Runs `produce` once per key. Errors are not stored (the key is released so the client can
   * retry); replies, including 4xx replies such as a rejected recording, are.
   */
  async run(context: IdempotencyContext, produce: () => Promise<Reply>): Promise<Reply> {
    const scope = idempotencyScope(context);
    if (!scope) return produce();
    const replay = await this.replay(scope);
    if (replay) return replay;
    const owner = randomUUID();
    if (!(await this.store.lock(scope, owner, this.lockSeconds))) {
      const again = await this.replay(scope);
      if (again) return again;
      throw new ApiError(
        409,
        'IDEMPOTENCY_KEY_IN_USE',
        'A request with this Idempotency-Key is still being processed; retry when it has finished.',
      );
    }
    // A failed renewal (Redis out for a moment) is tried again at the next tick.
    const renewal = setInterval(
      () => void this.store.renew(scope, owner, this.lockSeconds).catch(() => undefined),
      (this.lockSeconds * 1000) / 3,
    );
    renewal.unref();
    let reply: Reply;
    try {
      reply = await produce();
    } catch (error) {
      await this.store.release(scope, owner).catch(() => undefined);
      throw error;
    } finally {
      clearInterval(renewal);
    }
    await this.store.save(scope, reply, IDEMPOTENCY_TTL_SECONDS);
    return reply;
  }

  private async replay(scope: string): Promise<Reply | undefined> {
    const record = await this.store.find(scope);
    if (record?.state !== 'done') return undefined;
    return { ...record.reply, headers: { ...record.reply.headers, 'Idempotent-Replayed': 'true' } };
  }
}
