// Hands a dead consumer's jobs back to the queue at once. BullMQ finds a job whose worker died only
// when its lock expires (30 s) and the next stalled-job check runs (up to 30 s later); a supervisor
// that saw its child process die knows sooner, and knows the dead consumer's id.
//
// Every job handed back counts as stalled once (past BullMQ's limit it fails for good), except when
// the consumer died while it ran one job alone (the inference worker runs a job that was in a crash
// alone, and marks it with LoneJobMarks): then only that job is to blame, and the others it held were
// merely on their way back to the queue (deferred), so their stalled count is left as it was.
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobQueueName } from './contracts';
import type { QueueConnection } from './queues';
import { bullConnection, connectRedis } from './redis-connection';

// Active jobs whose lock token is the consumer's (BullMQ tokens are `<worker id>:<n>`) lose their
// lock and are marked stalled; the stalled-check guard is cleared so the check runs now. When the
// consumer's lone-job mark names a job it still held, the others get their stalled count lowered
// by one beforehand, which BullMQ's check then raises again. A mark whose job the consumer no
// longer held is stale (its lone run had ended) and clears nobody.
const RELEASE_LOCKS_OF = `
local released = {}
local prefix = ARGV[1]
local owner = ARGV[2] .. ':'
local lone = redis.call('GET', KEYS[4])
local loneHeld = false
for _, id in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local lockKey = prefix .. id .. ':lock'
  local token = redis.call('GET', lockKey)
  if token and string.sub(token, 1, #owner) == owner then
    redis.call('DEL', lockKey)
    redis.call('SADD', KEYS[2], id)
    table.insert(released, id)
    if id == lone then loneHeld = true end
  end
end
local cleared = {}
if loneHeld then
  for _, id in ipairs(released) do
    if id ~= lone and redis.call('EXISTS', prefix .. id) == 1 then
      redis.call('HINCRBY', prefix .. id, 'stc', -1)
      table.insert(cleared, id)
    end
  end
end
if lone then redis.call('DEL', KEYS[4]) end
if #released > 0 then redis.call('DEL', KEYS[3]) end
return {released, cleared}
`;

/** How long a lone-job mark outlives a consumer that could not remove it (a crash removes it at reclaim). */
export const LONE_JOB_MARK_TTL_MS = 10 * 60_000;

/** The key where consumer `consumerId` of queue `queue` names the job it runs alone (one hash slot with the queue). */
export function loneJobKey(prefix: string, queue: JobQueueName, consumerId: string): string {
  return `${prefix}:${queue}:lone:${consumerId}`;
}

/**
 * Marks a job as the only one its consumer is running, for as long as it runs, so that if the
 * process dies meanwhile the reclaimer blames that job alone. The caller guarantees no other job
 * does any work in the process meanwhile (the inference worker's CrashIsolation).
 */
export class LoneJobMarks {
  constructor(
    private readonly redis: Pick<Redis, 'set' | 'del'>,
    private readonly prefix: string,
    private readonly queue: JobQueueName,
    /** A mark that could not be written or removed; the job runs anyway (a crash then blames every job held). */
    private readonly onMarkError: (error: Error) => void = () => undefined,
  ) {}

  async whileRunning<T>(consumerId: string, jobId: string, task: () => Promise<T>): Promise<T> {
    const key = loneJobKey(this.prefix, this.queue, consumerId);
    await this.redis.set(key, jobId, 'PX', LONE_JOB_MARK_TTL_MS).catch(this.onMarkError);
    try {
      return await task();
    } finally {
      await this.redis.del(key).catch(this.onMarkError);
    }
  }
}

/** What a reclaim handed back: every job, and those of them not counted as stalled (see above). */
export interface ReclaimedJobs {
  jobIds: string[];
  notBlamed: string[];
}

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
   * list, as BullMQ's stalled check would (their stalled count goes up; past the limit they fail),
   * except the bystanders of a lone job (see above). Only for a consumer known to be dead: its
   * running jobs would run twice.
   */
  async reclaim(consumerId: string): Promise<ReclaimedJobs> {
    const base = `${this.connection.prefix}:${this.name}:`;
    const [jobIds, notBlamed] = (await this.redis.eval(
      RELEASE_LOCKS_OF,
      4,
      `${base}active`,
      `${base}stalled`,
      `${base}stalled-check`,
      loneJobKey(this.connection.prefix, this.name, consumerId),
      base,
      consumerId,
    )) as [string[], string[]];
    if (jobIds.length > 0) await this.checker.getBackend().moveStalledJobsToWait();
    return { jobIds, notBlamed };
  }

  async close(): Promise<void> {
    await this.checker.close();
    this.releaseChecker();
    this.redis.disconnect();
  }
}
