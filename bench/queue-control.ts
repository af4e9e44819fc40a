// Holds or releases the predictions queue of the stack the environment describes (REDIS_URL or
// REDIS_CLUSTER_NODES / REDIS_SENTINELS, QUEUE_PREFIX), for bench/service-accounting.sh --queue-first:
// a batch is queued while the workers take nothing, then drained by the workers alone.
//   node -r @swc-node/register bench/queue-control.ts pause | await-queued N | release-and-drain
// await-queued: until N prediction jobs wait to run (waiting or prioritised: a held queue keeps them
// there). release-and-drain: releases the queue, waits until no job waits, runs or is delayed, and
// prints the seconds that took (loaded before the release, so its own start-up is not in them).
// Polls every 200 ms, up to 10 minutes.
import { Queue, type JobType } from 'bullmq';
import { loadConfig } from '@heartbeat/config';
import { bullConnection, QUEUE_NAMES, queueConnectionOf } from '@heartbeat/queue';

const POLL_MS = 200;
const GIVE_UP_MS = 10 * 60_000;
const WAITING: readonly JobType[] = ['wait', 'prioritized'];

async function main(): Promise<void> {
  const [command, argument] = process.argv.slice(2);
  const connection = queueConnectionOf(loadConfig());
  const { connection: redis, release } = bullConnection(connection, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUE_NAMES.predictions, { connection: redis, prefix: connection.prefix });
  const count = async (states: readonly JobType[]) =>
    Object.values(await queue.getJobCounts(...states)).reduce((sum, jobs) => sum + jobs, 0);
  const until = async (done: () => Promise<boolean>, what: string) => {
    const deadline = Date.now() + GIVE_UP_MS;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`gave up waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };
  try {
    if (command === 'pause') await queue.pause();
    else if (command === 'await-queued')
      await until(async () => (await count(WAITING)) >= Number(argument), `${argument} jobs are queued`);
    else if (command === 'release-and-drain') {
      const released = performance.now();
      await queue.resume();
      await until(async () => (await count([...WAITING, 'active', 'delayed'])) === 0, 'the queue is drained');
      console.log(((performance.now() - released) / 1000).toFixed(1));
    } else throw new Error('usage: queue-control.ts pause | await-queued N | release-and-drain');
  } finally {
    await queue.close();
    release();
  }
}

main().catch((error: unknown) => {
  console.error(`queue-control: ${(error as Error).message}`);
  process.exit(1);
});
