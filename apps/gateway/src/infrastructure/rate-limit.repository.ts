// Token bucket per API key in Redis, so every gateway replica shares one budget. The bucket holds up
// to `capacity` tokens and refills continuously; Redis' own clock avoids skew between replicas.
import type { Redis } from 'ioredis';

const TOKEN_BUCKET = `
local key = KEYS[1]
local capacity = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * perMs)
local allowed = 0
local retryMs = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retryMs = math.ceil((1 - tokens) / perMs)
end
redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', key, math.ceil(capacity / perMs) + 1000)
return {allowed, math.floor(tokens), retryMs}
`;

export interface RateLimitDecision {
  allowed: boolean;
  remaining: number;
  retryAfterMs: number;
}

/** The token-bucket script, registered with ioredis so each call sends its SHA (EVALSHA), not its text. */
interface RedisWithTokenBucket {
  heartbeatTakeToken(key: string, capacity: number, perMs: number): Promise<[number, number, number]>;
}

export class RateLimitRepository {
  private readonly scripts: RedisWithTokenBucket;

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
  ) {
    redis.defineCommand('heartbeatTakeToken', { numberOfKeys: 1, lua: TOKEN_BUCKET });
    this.scripts = redis as unknown as RedisWithTokenBucket;
  }

  /** Takes one token from `subject`'s bucket of `perMinute` tokens. */
  async take(subject: string, perMinute: number): Promise<RateLimitDecision> {
    const [allowed, remaining, retryAfterMs] = await this.scripts.heartbeatTakeToken(
      `${this.keyPrefix}:ratelimit:${subject}`,
      perMinute,
      perMinute / 60_000,
    );
    return { allowed: allowed === 1, remaining, retryAfterMs };
  }
}
