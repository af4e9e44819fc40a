// The fault scenarios. Each submits a batch of distinct recordings to the real gateway, injects its
// fault while the batch is being screened (or uploaded), and then counts, in PostgreSQL, what became
// of every file: completed once, lost (no final prediction) or duplicated (more than one).
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { idempotencyScope } from '../../apps/gateway/src/idempotency/idempotency.service';
import { makePoison, makeRecordings, type Recording } from './corpus';
import { ADMIN_KEY, FaultStack, ROOT, STALE_UPLOAD_TIMEOUT_MS, sleep, until } from './stack';

export interface Profile {
  name: 'full' | 'quick';
  recordings: number;
  postgresOutageMs: number;
  s3OutageMs: number;
  /** How long a batch may take to reach 100 % after its fault before what is missing counts as lost. */
  settleTimeoutMs: number;
}

export const PROFILES: Record<Profile['name'], Profile> = {
  full: {
    name: 'full',
    recordings: 1000,
    postgresOutageMs: 60_000,
    s3OutageMs: 30_000,
    settleTimeoutMs: 600_000,
  },
  quick: {
    name: 'quick',
    recordings: 200,
    postgresOutageMs: 15_000,
    s3OutageMs: 10_000,
    settleTimeoutMs: 300_000,
  },
};

export interface ScenarioResult {
  scenario: string;
  /** When it finished. */
  at?: string;
  fault: string;
  submitted: number;
  completed: number;
  /** Recordings expected to fail (the poison) that did, with their code. */
  failedAsExpected: number;
  lost: number;
  duplicated: number;
  /** From the end of the fault until the jobs in flight at its start or left active at its end are finished and results flow again. */
  recoverySeconds: number | null;
  /** From the submission until the batch reached 100 %. */
  batchSeconds: number | null;
  batchStatus: string;
  progress: number;
  passed: boolean;
  notes: string[];
}

/** tmp/reliability/faults.json: what `npm run test:faults` writes and `npm run reliability:report` reads. */
export interface FaultSuiteReport {
  at: string;
  profile: string;
  recordingsPerBatch: number;
  command: string;
  machine: { cpus: number; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  seconds: number;
  complete: boolean;
  /** Scenarios re-run later (npm run test:faults -- --only ... --merge) and when the rest was measured. */
  rerun?: string[];
  rerunMachine?: { cpus: number; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  rerunSeconds?: number;
  firstMeasured?: string;
  results: ScenarioResult[];
}

const BOUNDARY = '----heartbeat-fault-suite';

function multipart(files: Recording[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.concat([...files.map(part), Buffer.from(`--${BOUNDARY}--\r\n`)]));
}
function part(file: Recording): Buffer {
  return Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="${file.name}"\r\nContent-Type: audio/wav\r\n\r\n`,
    ),
    file.bytes,
    Buffer.from('\r\n'),
  ]);
}
const headers = (key?: string) => ({
  Authorization: `Bearer ${ADMIN_KEY}`,
  'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
  ...(key ? { 'Idempotency-Key': key } : {}),
});

export class ScenarioContext {
  constructor(
    readonly stack: FaultStack,
    readonly profile: Profile,
    readonly log: (line: string) => void,
  ) {}

  async query<T extends Record<string, unknown>>(sql: string, values: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.stack.databaseUrl, connectionTimeoutMillis: 3000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query(sql, values)).rows as T[];
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * Sends the batch as a client would: with an Idempotency-Key, again with the same key after a
   * connection error, 409 (the key's earlier request still holds it) or 5xx, until it is accepted.
   */
  async submit(
    files: Recording[],
    key = `fault-suite-${randomUUID()}`,
  ): Promise<{ batchId: string; submittedAt: number; attempts: number }> {
    const submittedAt = Date.now();
    const deadline = submittedAt + this.profile.settleTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      const answer = await fetch(`${this.stack.base}/api/v1/batches`, {
        method: 'POST',
        headers: headers(key),
        body: multipart(files),
      }).then(
        async (response) => ({
          status: response.status,
          body: (await response.json().catch(() => ({}))) as Record<string, unknown>,
        }),
        (error: unknown) => ({
          status: 0,
          body: { error: (error as Error).message } as Record<string, unknown>,
        }),
      );
      const batchId = answer.body.batchId;
      if (answer.status === 202 && typeof batchId === 'string') {
        if (answer.body.accepted !== files.length)
          throw new Error(
            `Only ${String(answer.body.accepted)} of ${files.length} files accepted: ${JSON.stringify(answer.body).slice(0, 500)}`,
          );
        if (attempt > 1) this.log(`  batch accepted at attempt ${attempt}`);
        return { batchId, submittedAt, attempts: attempt };
      }
      const retryable = answer.status === 0 || answer.status === 409 || answer.status >= 500;
      if (!retryable || Date.now() > deadline)
        throw new Error(
          `Batch not accepted (${answer.status}): ${JSON.stringify(answer.body).slice(0, 500)}`,
        );
      if (attempt === 1 || attempt % 10 === 0)
        this.log(
          `  upload attempt ${attempt}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 160)}; retrying with the same key`,
        );
      await sleep(2000);
    }
  }

  private callerId?: string;

  /** The key as the gateway stores it on the batch: scoped to the route and the caller (its API key id). */
  async scoped(key: string): Promise<string> {
    if (!this.callerId) {
      const [row] = await this.query<{ id: string }>("select id from api_keys where name = 'bootstrap'");
      if (!row) throw new Error('The bootstrap admin key is not in api_keys');
      this.callerId = row.id;
    }
    return idempotencyScope({ key, route: 'POST /api/v1/batches', caller: this.callerId })!;
  }

  /** Waits until the batch the key names has `fraction` of its files done. */
  async reach(key: string, total: number, fraction: number): Promise<void> {
    await until(
      `${Math.round(fraction * 100)} % of the batch`,
      async () => {
        const [row] = await this.query<{ done: number }>(
          'select succeeded_count + failed_count as done from batches where idempotency_key = $1',
          [await this.scoped(key)],
        );
        return (row?.done ?? 0) >= Math.ceil(total * fraction);
      },
      this.profile.settleTimeoutMs,
      200,
    );
  }

  /** The prediction jobs in flight now (job id = prediction id), read straight from Redis. */
  async inFlight(): Promise<string[]> {
    const { Redis } = await import('ioredis');
    const redis = new Redis(`redis://127.0.0.1:${this.stack.redisPort}`, { maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    try {
      return await redis.lrange('heartbeat-faults:predictions:active', 0, -1);
    } finally {
      redis.disconnect();
    }
  }

  /**
   * Seconds from `faultEnd` until the jobs in flight at the fault's start, or still active at its end
   * (a killed worker's, until they are handed back), are all finished and a
   * prediction started after it finishes too (results flow again).
   */
  async recovery(batchId: string, inFlight: string[], faultEnd: number): Promise<number | null> {
    const rows = await this.query<{ last: Date | null; first: Date | null }>(
      `select
         (select max(completed_at) from predictions where id = any($1::uuid[])) as last,
         (select min(completed_at) from predictions where batch_id = $2 and completed_at > $3) as first`,
      [inFlight.filter((id) => /^[0-9a-f-]{36}$/.test(id)), batchId, new Date(faultEnd)],
    );
    const { last, first } = rows[0] ?? { last: null, first: null };
    const end = Math.max(last?.getTime() ?? 0, first?.getTime() ?? 0);
    return end === 0 ? null : Math.max(0, (end - faultEnd) / 1000);
  }

  /** Waits for the batch to end (or the settle time-out), then counts every file's predictions. */
  async settle(
    scenario: string,
    fault: string,
    files: Recording[],
    batchId: string,
    timing: { submittedAt: number; inFlight: string[]; faultEnd: number },
    expectFailed: Map<string, string> = new Map(),
  ): Promise<ScenarioResult> {
    const notes: string[] = [];
    let finishedAt: number | null = null;
    try {
      await until(
        'the batch to reach 100 %',
        async () => {
          const [row] = await this.query<{ status: string }>('select status from batches where id = $1', [
            batchId,
          ]);
          return row && row.status !== 'running' && row.status !== 'receiving' && row.status !== 'pending';
        },
        this.profile.settleTimeoutMs,
        500,
      );
      const [row] = await this.query<{ finished_at: Date | null }>(
        'select finished_at from batches where id = $1',
        [batchId],
      );
      finishedAt = row?.finished_at?.getTime() ?? Date.now();
    } catch (error) {
      notes.push((error as Error).message);
    }
    // Whatever straggles in after the batch ended would be a duplicate: give it a moment.
    await sleep(3000);
    const rows = await this.query<{ name: string; status: string; error_code: string | null }>(
      `select r.original_file_name as name, p.status, p.error_code
         from predictions p join recordings r on r.id = p.recording_id
        where p.batch_id = $1`,
      [batchId],
    );
    const [batch] = await this.query<{
      status: string;
      total_count: number;
      succeeded_count: number;
      failed_count: number;
    }>('select status, total_count, succeeded_count, failed_count from batches where id = $1', [batchId]);
    const byName = new Map<string, { status: string; error_code: string | null }[]>();
    for (const row of rows) byName.set(row.name, [...(byName.get(row.name) ?? []), row]);
    let completed = 0;
    let failedAsExpected = 0;
    let lost = 0;
    let duplicated = 0;
    for (const file of files) {
      const found = byName.get(file.name) ?? [];
      if (found.length > 1) duplicated += found.length - 1;
      const expected = expectFailed.get(file.name);
      const final = found.find((row) =>
        expected
          ? row.status === 'failed' && (expected === '*' || row.error_code === expected)
          : row.status === 'succeeded',
      );
      if (!final) {
        lost++;
        if (lost <= 5)
          notes.push(
            `${file.name}: ${found.map((row) => `${row.status} ${row.error_code ?? ''}`).join(', ') || 'no prediction'}`,
          );
      } else if (expected) failedAsExpected++;
      else completed++;
    }
    // Rows for names the client never sent would be duplicates of some other kind.
    const strangers = rows.filter((row) => !files.some((file) => file.name === row.name)).length;
    duplicated += strangers;
    const counted = (batch?.succeeded_count ?? 0) + (batch?.failed_count ?? 0);
    if (batch && counted > batch.total_count) {
      duplicated += counted - batch.total_count;
      notes.push(`batch counters: ${counted} done of ${batch.total_count}`);
    }
    const progress = batch && batch.total_count > 0 ? counted / batch.total_count : 0;
    const recoverySeconds = await this.recovery(batchId, timing.inFlight, timing.faultEnd);
    const result: ScenarioResult = {
      scenario,
      fault,
      submitted: files.length,
      completed,
      failedAsExpected,
      lost,
      duplicated,
      recoverySeconds: recoverySeconds === null ? null : Math.round(recoverySeconds * 10) / 10,
      batchSeconds: finishedAt === null ? null : Math.round((finishedAt - timing.submittedAt) / 100) / 10,
      batchStatus: batch?.status ?? 'missing',
      progress: Math.round(progress * 1000) / 1000,
      passed:
        lost === 0 &&
        duplicated === 0 &&
        batch?.status === 'completed' &&
        batch.total_count === files.length &&
        counted === files.length,
      notes,
    };
    return result;
  }
}

type Scenario = {
  name: string;
  fault: string;
  run: (context: ScenarioContext) => Promise<ScenarioResult>;
};

/** The batch is submitted, `fault` runs once `at` of it is done, and the batch is then settled. */
function midBatch(
  name: string,
  fault: string,
  inject: (context: ScenarioContext) => Promise<void>,
  at = 0.25,
  /**
   * Freeze the inference workers until the whole batch is queued (a backlog): the fault then comes at
   * once (`at` 0) or once `at` of it is screened, when every model process is busy.
   */
  backlog = false,
): Scenario {
  return {
    name,
    fault,
    async run(context) {
      const files = await makeRecordings(name, context.profile.recordings);
      const key = `fault-suite-${randomUUID()}`;
      // The fault comes while the batch is both being uploaded and screened.
      const submitting = context.submit(files, key);
      submitting.catch(() => undefined);
      let inFlight: string[] = [];
      let faultEnd: number | undefined;
      if (backlog) {
        context.stack.signalGroup('inference-1', 'SIGSTOP');
        context.stack.signalGroup('inference-2', 'SIGSTOP');
        try {
          await submitting;
          if (at === 0) {
            context.log(`  the whole batch is queued, the workers frozen; fault now`);
            await inject(context);
            faultEnd = Date.now();
          }
        } finally {
          context.stack.signalGroup('inference-1', 'SIGCONT');
          context.stack.signalGroup('inference-2', 'SIGCONT');
        }
      }
      if (at > 0) {
        await Promise.race([context.reach(key, files.length, at), ...(backlog ? [] : [submitting])]);
        inFlight = await context.inFlight();
        const [stored] = await context.query<{ n: number; done: number }>(
          `select (select count(*)::int from predictions p where p.batch_id = b.id) as n,
                  b.succeeded_count + b.failed_count as done
             from batches b where b.idempotency_key = $1`,
          [await context.scoped(key)],
        );
        context.log(
          `  fault with ${stored?.n ?? '?'} of ${files.length} files received, ${stored?.done ?? '?'} done, ${inFlight.length} jobs in flight`,
        );
        await inject(context);
        faultEnd = Date.now();
        // Jobs still active once the fault is over include those a killed worker left stranded.
        const after = await context.inFlight().catch(() => []);
        inFlight = [...new Set([...inFlight, ...after])];
      }
      const { batchId, submittedAt, attempts } = await submitting;
      const result = await context.settle(name, fault, files, batchId, {
        submittedAt,
        inFlight,
        faultEnd: faultEnd ?? submittedAt,
      });
      if (faultEnd === undefined) result.recoverySeconds = null;
      if (attempts > 1)
        result.notes.push(`the upload was accepted at attempt ${attempts} (same Idempotency-Key)`);
      return result;
    },
  };
}

export function scenarios(profile: Profile): Scenario[] {
  return [
    midBatch('baseline', 'none (the same batch without a fault, for comparison)', async () => undefined, 0),
    midBatch(
      'inference-sigkill',
      '`kill -9` of one inference worker (supervisor and model processes) busy with a backlog, restarted',
      async (c) => {
        await c.stack.killApp('inference-1', 'SIGKILL');
        await c.stack.startApp('inference-1', { wait: false });
      },
      0.25,
      true,
    ),
    midBatch(
      'inference-sigterm',
      '`SIGTERM` to one inference worker busy with a backlog (graceful drain), restarted',
      async (c) => {
        const ms = await c.stack.killApp('inference-1', 'SIGTERM');
        c.log(`  drained and exited in ${(ms / 1000).toFixed(1)} s`);
        await c.stack.startApp('inference-1', { wait: false });
      },
      0.25,
      true,
    ),
    trainingKill(),
    midBatch(
      'redis-restart',
      'Redis killed (`kill -9`) and restarted on its AOF (appendfsync everysec)',
      async (c) => {
        c.stack.killRedis();
        await sleep(2000);
        await c.stack.startRedis();
      },
    ),
    midBatch(
      'redis-data-loss',
      'Redis killed and restarted empty (its data lost) with the whole batch queued and unscreened',
      async (c) => {
        c.stack.killRedis();
        c.stack.wipeRedisData();
        await sleep(2000);
        await c.stack.startRedis();
      },
      0,
      true,
    ),
    midBatch(
      'postgres-restart',
      'PostgreSQL crashed (`pg_ctl stop -m immediate`) and started again',
      async (c) => {
        c.stack.stopPostgres('immediate');
        await sleep(2000);
        await c.stack.startPostgres();
      },
    ),
    midBatch(
      'postgres-outage',
      `PostgreSQL unreachable for ${profile.postgresOutageMs / 1000} s`,
      async (c) => {
        c.stack.stopPostgres('fast');
        await sleep(profile.postgresOutageMs);
        await c.stack.startPostgres();
      },
    ),
    midBatch('s3-outage', `s3rver stopped for ${profile.s3OutageMs / 1000} s, then back`, async (c) => {
      await c.stack.killS3();
      await sleep(profile.s3OutageMs);
      await c.stack.startS3();
    }),
    gatewayKilledMidUpload(),
    poison(),
  ];
}

function gatewayKilledMidUpload(): Scenario {
  const name = 'gateway-killed-mid-upload';
  return {
    name,
    fault:
      '`kill -9` of the gateway half-way through a multipart upload; the client retries with the same Idempotency-Key',
    async run(context) {
      const { stack } = context;
      const files = await makeRecordings(name, context.profile.recordings);
      const key = `fault-suite-${randomUUID()}`;
      const submittedAt = Date.now();
      // The client sends half the files, then its connection hangs as the gateway dies.
      let release!: () => void;
      const hung = new Promise<void>((resolve) => (release = resolve));
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          for (const file of files.slice(0, files.length / 2)) controller.enqueue(part(file));
          controller.enqueue(Buffer.from(`--${BOUNDARY}\r\n`));
          await hung;
          controller.close();
        },
      });
      const dying = fetch(`${stack.base}/api/v1/batches`, {
        method: 'POST',
        headers: headers(key),
        body,
        duplex: 'half',
      } as RequestInit).catch((error: unknown) => error);
      const [partial] = await until(
        'the first half to be stored',
        async () => {
          const rows = await context.query<{ id: string; n: number }>(
            `select b.id, (select count(*)::int from predictions p where p.batch_id = b.id) as n
               from batches b where b.idempotency_key = $1`,
            [await context.scoped(key)],
          );
          return rows[0] && rows[0].n >= files.length / 2 ? rows : undefined;
        },
        context.profile.settleTimeoutMs,
        200,
      );
      await stack.killApp('gateway', 'SIGKILL');
      release();
      await dying;
      const killedAt = Date.now();
      await stack.startApp('gateway');
      // The client retries the whole batch with the same key until it is accepted.
      let batchId: string | undefined;
      let retries = 0;
      while (!batchId) {
        retries++;
        const response = await fetch(`${stack.base}/api/v1/batches`, {
          method: 'POST',
          headers: headers(key),
          body: multipart(files),
        });
        const answer = (await response.json()) as { batchId?: string; accepted?: number; code?: string };
        if (response.status === 202) batchId = answer.batchId;
        else if (response.status === 409 || response.status === 503) await sleep(2000);
        else throw new Error(`Retry answered ${response.status}: ${JSON.stringify(answer).slice(0, 300)}`);
        if (Date.now() - killedAt > STALE_UPLOAD_TIMEOUT_MS * 10)
          throw new Error('The retry was never accepted');
      }
      const acceptedAfter = (Date.now() - killedAt) / 1000;
      context.log(`  retry accepted after ${acceptedAfter.toFixed(1)} s and ${retries} attempt(s)`);
      const result = await context.settle(name, this.fault, files, batchId, {
        submittedAt,
        inFlight: [],
        faultEnd: killedAt,
      });
      // Exactly one batch holds the key; the dead request's partial batch ended failed with each of its
      // recordings counted once (screened before the kill, or failed UPLOAD_ABORTED).
      const holders = await context.query<{ id: string }>(
        'select id from batches where idempotency_key = $1',
        [await context.scoped(key)],
      );
      const [ended] = await context.query<{
        status: string;
        total_count: number;
        succeeded_count: number;
        failed_count: number;
      }>('select status, total_count, succeeded_count, failed_count from batches where id = $1', [
        partial!.id,
      ]);
      result.notes.push(
        `retry accepted ${acceptedAfter.toFixed(1)} s after the kill (${retries} attempt(s)); batches holding the key: ${holders.length}; the dead request's partial batch: ${ended?.status}, ${ended?.total_count} recordings, ${ended?.succeeded_count} screened before the kill and ${ended?.failed_count} failed UPLOAD_ABORTED`,
      );
      result.recoverySeconds = Math.round(acceptedAfter * 10) / 10;
      result.passed &&=
        holders.length === 1 &&
        holders[0]!.id === batchId &&
        partial!.id !== batchId &&
        ended?.status === 'failed' &&
        ended.succeeded_count + ended.failed_count === ended.total_count;
      return result;
    },
  };
}

function trainingKill(): Scenario {
  const name = 'training-sigkill';
  // Long enough that the kill comes between its first checkpoint and its end (as the training
  // worker's own killed-mid-run test: 4 epochs of 96 windows).
  const params = {
    epochs: 4,
    windowsPerEpoch: 96,
    batchSize: 16,
    blockFilters: [4, 4, 8, 8, 8],
    maxMinutes: 10,
  };
  return {
    name,
    fault:
      '`kill -9` of the training worker mid-run (after its first checkpoint), restarted; a batch screened meanwhile',
    async run(context) {
      const { stack } = context;
      const promotedBefore = await context.query<{
        version: string;
        artifact_keys: unknown;
        promoted_at: Date;
      }>("select version, artifact_keys, promoted_at from model_versions where status = 'promoted'");
      const files = await makeRecordings(name, context.profile.recordings);
      const started = await fetch(`${stack.base}/retrain`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ params }),
      });
      const run = (await started.json()) as { id: string };
      if (started.status !== 202)
        throw new Error(`retrain answered ${started.status}: ${JSON.stringify(run)}`);
      // The batch is uploaded and screened while the run trains.
      const submitting = context.submit(files);
      submitting.catch(() => undefined);
      await until<string>(
        'the first training checkpoint',
        async () => {
          const [row] = await context.query<{ checkpoint_key: string | null; status: string }>(
            'select checkpoint_key, status from training_runs where id = $1',
            [run.id],
          );
          if (row && row.status !== 'running' && row.status !== 'queued') return row.status;
          return row?.checkpoint_key ? 'checkpointed' : undefined;
        },
        context.profile.settleTimeoutMs,
        100,
      ).then((state) => {
        if (state !== 'checkpointed') throw new Error(`the run ended (${state}) before the kill`);
      });
      const inFlight = await context.inFlight();
      await stack.killApp('training', 'SIGKILL');
      const faultEnd = Date.now();
      await stack.startApp('training', { wait: false });
      const { batchId, submittedAt } = await submitting;
      const result = await context.settle(name, this.fault, files, batchId, {
        submittedAt,
        inFlight,
        faultEnd,
      });
      const ended = await until(
        'the training run to end',
        async () => {
          const [row] = await context.query<{ status: string; error: string | null; log: string | null }>(
            'select status, error, log from training_runs where id = $1',
            [run.id],
          );
          return row && !['running', 'queued'].includes(row.status) ? row : undefined;
        },
        context.profile.settleTimeoutMs,
        1000,
      );
      const resumed = /resuming after epoch/.test(ended.log ?? '');
      const promotedAfter = await context.query<{
        version: string;
        artifact_keys: unknown;
        promoted_at: Date;
      }>("select version, artifact_keys, promoted_at from model_versions where status = 'promoted'");
      const untouched = JSON.stringify(promotedAfter) === JSON.stringify(promotedBefore);
      result.notes.push(
        `training run ${ended.status}${resumed ? ' (resumed from its checkpoint)' : ''}${ended.error ? `: ${ended.error}` : ''}; promoted model ${untouched ? `untouched (${promotedBefore[0]?.version})` : `changed: ${JSON.stringify(promotedBefore)} -> ${JSON.stringify(promotedAfter)}`}`,
      );
      result.passed &&=
        (ended.status === 'succeeded' && resumed) || (ended.status === 'failed' && Boolean(ended.error));
      // A resumed run that beats the promoted model may be promoted by the policy; anything else must not move it.
      result.passed &&= untouched || (ended.status === 'succeeded' && resumed);
      return result;
    },
  };
}

function poison(): Scenario {
  const name = 'poison-recording';
  return {
    name,
    fault: 'one recording in the batch kills the model process that prepares it, at every attempt',
    async run(context) {
      const { stack } = context;
      const poisonFile = await makePoison(`${name}-poison.wav`);
      const normal = await makeRecordings(name, context.profile.recordings);
      // Early in the batch, so the rest queues behind it.
      const files = [...normal.slice(0, 10), poisonFile, ...normal.slice(10)];
      const { batchId, submittedAt } = await context.submit(files);
      const result = await context.settle(
        name,
        this.fault,
        files,
        batchId,
        { submittedAt, inFlight: [], faultEnd: submittedAt },
        new Map([[poisonFile.name, '*']]),
      );
      const [prediction] = await context.query<{ id: string; status: string; error_code: string | null }>(
        `select p.id, p.status, p.error_code from predictions p join recordings r on r.id = p.recording_id
          where p.batch_id = $1 and r.original_file_name = $2`,
        [batchId, poisonFile.name],
      );
      const deadLetter = (await (
        await fetch(`${stack.base}/api/v1/dead-letter?limit=100`, {
          headers: { Authorization: `Bearer ${ADMIN_KEY}` },
        })
      ).json()) as { items?: { jobId: string; failedReason?: string; attemptsMade?: number }[] };
      const entry = deadLetter.items?.find((item) => item.jobId === prediction?.id);
      result.notes.push(
        `poison prediction ${prediction?.status ?? 'missing'} ${prediction?.error_code ?? ''}; dead-letter entry: ${entry ? `yes (${entry.attemptsMade} attempts: ${entry.failedReason})` : 'none'}`,
      );
      result.passed &&= Boolean(entry);
      return result;
    },
  };
}

export const POISON_HOOK = path.join(ROOT, 'scripts/faults/poison-hook.ts');
