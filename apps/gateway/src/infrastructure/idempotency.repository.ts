// Stored responses of POSTs that carried an Idempotency-Key, in Redis with a time to live. A
// request in progress holds a short lock so a concurrent retry cannot start the same work twice.
import type { Redis } from 'ioredis';
import type { Reply } from '../common/reply';

export type IdempotencyRecord = { state: 'in-progress'; owner?: string } | { state: 'done'; reply: Reply };

/** Runs only while the key still holds this owner's lock: renews it (PEXPIRE) or deletes it. */
const IF_OWNER = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, record = pcall(cjson.decode, raw)
if not ok or record.state ~= 'in-progress' or record.owner ~= ARGV[1] then return 0 end
if ARGV[2] == 'renew' then return redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return redis.call('DEL', KEYS[1])
`;

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

  /** True when `owner` now holds the key; false when another request holds or finished it. */
  async lock(scope: string, owner: string, ttlSeconds: number): Promise<boolean> {
    const result = await this.redis.set(
      this.key(scope),
      JSON.stringify({ state: 'in-progress', owner }),
      'EX',
      ttlSeconds,
      'NX',
    );
    return result === 'OK';
  }

  /** Keeps `owner`'s lock for another ttlSeconds; false when it no longer holds it. */
  async renew(scope: string, owner: string, ttlSeconds: number): Promise<boolean> {
    return (await this.redis.eval(IF_OWNER, 1, this.key(scope), owner, 'renew', String(ttlSeconds))) === 1;
  }

  async save(scope: string, reply: Reply, ttlSeconds: number): Promise<void> {
    await this.redis.set(
      this.key(scope),
      JSON.stringify({ state: 'done', reply } satisfies IdempotencyRecord),
      'EX',
      ttlSeconds,
    );
  }

  /** Frees the key for a retry, unless another request has taken it over meanwhile. */
  async release(scope: string, owner: string): Promise<void> {
    await this.redis.eval(IF_OWNER, 1, this.key(scope), owner, 'release');
  }
}
