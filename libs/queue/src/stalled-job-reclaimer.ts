// Hands a dead consumer's jobs back to the queue at once. BullMQ finds a job whose worker died only
// when its lock expires (30 s) and the next stalled-job check runs (up to 30 s later); a supervisor
// that saw its child process die knows sooner, and knows the dead consumer's id.
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobQueueName } from './contracts';
import type { QueueConnection } from './queues';
import { bullConnection, connectRedis } from './redis-connection';

// Active jobs whose lock token is the consumer's (BullMQ tokens are `<worker id>:<n>`) lose their
// lock and are marked stalled; the stalled-check guard is cleared so the check runs now.
const RELEASE_LOCKS_OF = `
local released = {}
local prefix = ARGV[1]
local owner = ARGV[2] .. ':'
for _, id in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local lockKey = prefix .. id .. ':lock'
  local token = redis.call('GET', lockKey)
  if token and string.sub(token, 1, #owner) == owner then
    redis.call('DEL', lockKey)
    redis.call('SADD', KEYS[2], id)
    table.insert(released, id)
  end
end
if #released > 0 then redis.call('DEL', KEYS[3]) end
return released
`;

export class StalledJobReclaimer {
  // A worker that never runs a processor: only its stalled-job check is used.
  private readonly checker: Worker;
  private readonly redis: Redis;
  private readonly releaseChecker: () => void;

  constructor(
    private readonly name: JobQueueName,
    private readonly connection: QueueConnection,
  ) {
    const checker = bullConnection(connection, { maxRetriesPerRequest: null });
    this.releaseChecker = checker.release;
    this.checker = new Worker(name, null, {
      connection: checker.connection,
      prefix: connection.prefix,
      autorun: false,
    });
    this.checker.on('error', () => undefined);
    this.redis = connectRedis(connection, { maxRetriesPerRequest: 2, lazyConnect: true });
    this.redis.on('error', () => undefined);
  }

  /**
   * Moves the jobs the consumer `consumerId` (a BullMQ worker id) had active back to the waiting
   * list, as BullMQ's stalled check would (their stalled count goes up; past the limit they fail).
   * Returns their ids. Only for a consumer known to be dead: its running jobs would run twice.
   */
  async reclaim(consumerId: string): Promise<string[]> {
    const base = `${this.connection.prefix}:${this.name}:`;
    const released = (await this.redis.eval(
      RELEASE_LOCKS_OF,
      3,
      `${base}active`,
      `${base}stalled`,
      `${base}stalled-check`,
      base,
      consumerId,
    )) as string[];
    if (released.length > 0) await this.checker.getBackend().moveStalledJobsToWait();
    return released;
  }

  async close(): Promise<void> {
    await this.checker.close();
    this.releaseChecker();
    this.redis.disconnect();
  }
}
