// Stored responses of POSTs that carried an Idempotency-Key, in Redis with a time to live. A
// request in progress holds a short lock so a concurrent retry cannot start the same work twice.
import type { Redis } from 'ioredis';
import type { Reply } from '../common/reply';

export type IdempotencyRecord = { state: 'in-progress' } | { state: 'done'; reply: Reply };

export class IdempotencyRepository {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  private key(scope: string): string {
    return `${this.keyPrefix}:idempotency:${scope}`;
  }

  async find(scope: string): Promise<IdempotencyRecord | undefined> {
    const raw = await this.redis.get(this.key(scope));
    return raw ? (JSON.parse(raw) as IdempotencyRecord) : undefined;
  }

  /** True when this caller now owns the key; false when another request holds or finished it. */
  async lock(scope: string, ttlSeconds: number): Promise<boolean> {
    const result = await this.redis.set(this.key(scope), JSON.stringify({ state: 'in-progress' }), 'EX', ttlSeconds, 'NX');
    return result === 'OK';
  }

  async save(scope: string, reply: Reply, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.key(scope), JSON.stringify({ state: 'done', reply } satisfies IdempotencyRecord), 'EX', ttlSeconds);
  }

  async release(scope: string): Promise<void> {
    await this.redis.del(this.key(scope));
  }
}
