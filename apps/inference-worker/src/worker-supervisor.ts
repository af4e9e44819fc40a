// Runs N inference worker processes (one per core by default) as one service: restarts a process
// that dies, with growing back-off, serves one metrics port with the processes' metrics added up,
// answers readiness for all of them, and on shutdown lets every process finish its in-flight jobs.
// Separate processes rather than threads: the model runtime, the decoder and the garbage collector
// each want a core of their own, and a crash takes down one process, not the service.
import type { ReclaimedJobs } from '@heartbeat/queue';
import type { Logger, MetricsSnapshot, ReadinessReport, Registry } from '@heartbeat/telemetry';
import { aggregateMetrics, Counter, Gauge } from '@heartbeat/telemetry';
import {
  isWorkerProcessMessage,
  type SupervisorMessage,
  type WorkerProcessMessage,
} from './supervision-protocol';

/** The supervisor's view of one child process (node:child_process in production, a fake in unit tests). */
export interface SupervisedProcess {
  readonly pid: number | undefined;
  send(message: SupervisorMessage): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  kill(signal: NodeJS.Signals): void;
}

export interface WorkerSupervisorOptions {
  processes: number;
  /** Starts worker process number `index` (0-based). */
  spawn: (index: number) => SupervisedProcess;
  logger: Logger;
  /** The supervisor's own registry (its process metrics and the restart counter); merged into every scrape. */
  registry: Registry;
  /** First restart delay; doubles with every crash in a row, up to maxRestartDelayMs. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** A process that ran this long before dying counts as a fresh failure, not one more in a row. */
  stableAfterMs?: number;
  /** How long a scrape or readiness probe waits for a process's answer before counting it unready. */
  reportTimeoutMs?: number;
  /** After asking processes to stop, how long to wait before killing what is left. */
  stopTimeoutMs: number;
  /**
   * Hands the jobs a dead process's consumer held back to the queue (see StalledJobReclaimer), so
   * they do not wait for the queue's stalled-job check; returns their ids and those not counted as
   * stalled (they were on their way back while the process ran one job alone).
   */
  handBackJobs?: (consumerId: string) => Promise<ReclaimedJobs>;
  now?: () => number;
}

interface Slot {
  readonly index: number;
  process?: SupervisedProcess;
  workerId?: string;
  consumerId?: string;
  startedAt: number;
  restartsInARow: number;
  restartTimer?: NodeJS.Timeout;
  exited?: Promise<void>;
  /** Why the last start of this slot's process failed, until a start succeeds. */
  startFailure?: string;
}

type ReportMessage = Extract<WorkerProcessMessage, { type: 'report' }>;

interface ProcessReport {
  slot: Slot;
  report?: ReportMessage;
}

export class WorkerSupervisor {
  private readonly slots: Slot[];
  /** Report requests awaiting an answer, by request id; a process that exits settles its own with undefined. */
  private readonly pending = new Map<
    number,
    { child: SupervisedProcess; settle: (report: ReportMessage | undefined) => void }
  >();
  private readonly restarts: Counter;
  private nextRequestId = 1;
  private stopping = false;
  private stopped?: Promise<void>;
  private readonly now: () => number;

  constructor(private readonly options: WorkerSupervisorOptions) {
    if (!Number.isInteger(options.processes) || options.processes < 1)
      throw new Error(`processes must be a positive integer, got ${options.processes}`);
    this.now = options.now ?? Date.now;
    this.slots = Array.from({ length: options.processes }, (_, index) => ({
      index,
      startedAt: 0,
      restartsInARow: 0,
    }));
    this.restarts = new Counter({
      name: 'heartbeat_inference_process_restarts_total',
      help: 'Inference worker processes restarted by the supervisor after they exited unexpectedly.',
      registers: [options.registry],
    });
    const slots = this.slots;
    new Gauge({
      name: 'heartbeat_inference_processes',
      help: 'Inference worker processes: configured (desired) and running (started and not yet exited).',
      labelNames: ['state'],
      registers: [options.registry],
      collect() {
        this.set({ state: 'desired' }, slots.length);
        this.set({ state: 'running' }, slots.filter((slot) => slot.workerId !== undefined).length);
      },
    });
  }

  start(): void {
    for (const slot of this.slots) this.launch(slot);
    this.options.logger.info(
      { processes: this.slots.length },
      `Supervising ${this.slots.length} inference worker processes`,
    );
  }

  /** The service's metrics: the supervisor's own plus every process that answered in time, combined. */
  async metrics(): Promise<string> {
    const reports = await this.collect();
    const snapshots: MetricsSnapshot[] = [await this.options.registry.getMetricsAsJSON()];
    for (const { report } of reports) if (report) snapshots.push(report.metrics);
    return aggregateMetrics(snapshots).metrics();
  }

  /** Ready when every process has started and reports itself ready. */
  async readiness(): Promise<ReadinessReport> {
    const reports = await this.collect();
    const processes = reports.map(({ slot, report }) => ({
      workerId: slot.workerId ?? null,
      pid: slot.process?.pid ?? null,
      ready: report?.readiness.ready ?? false,
      ...(report?.readiness.checks ?? {}),
      ...(slot.startFailure ? { startFailure: slot.startFailure } : {}),
    }));
    const readyCount = processes.filter((process) => process.ready).length;
    const startFailure = this.slots.find((slot) => slot.startFailure)?.startFailure;
    return {
      ready: !this.stopping && readyCount === this.slots.length,
      checks: {
        processes: this.slots.length,
        readyProcesses: readyCount,
        workers: processes,
        ...(startFailure ? { startFailure } : {}),
      },
    };
  }

  /**
   * Asks every process to finish its in-flight jobs and exit; resolves when all have exited (killing
   * what is left after stopTimeoutMs). Calling it again while stopping tells the processes to exit now.
   */
  stop(): Promise<void> {
    if (this.stopped) {
      this.options.logger.warn(
        'Second stop: telling worker processes to exit without waiting for in-flight jobs',
      );
      for (const slot of this.slots) slot.process?.send({ type: 'stop' });
      return this.stopped;
    }
    this.stopping = true;
    this.stopped = (async () => {
      for (const slot of this.slots) {
        clearTimeout(slot.restartTimer);
        slot.process?.send({ type: 'stop' });
      }
      const exits = this.slots.map((slot) => slot.exited).filter((exit) => exit !== undefined);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>(
        (resolve) => (timer = setTimeout(() => resolve('timeout'), this.options.stopTimeoutMs)),
      );
      const outcome = await Promise.race([Promise.all(exits).then(() => 'exited' as const), timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        this.options.logger.warn(
          { stopTimeoutMs: this.options.stopTimeoutMs },
          'Worker processes did not stop in time; killing them (their jobs will be retried as stalled)',
        );
        for (const slot of this.slots) slot.process?.kill('SIGKILL');
        await Promise.all(exits);
      }
    })();
    return this.stopped;
  }

  private launch(slot: Slot): void {
    const child = this.options.spawn(slot.index);
    slot.process = child;
    slot.workerId = undefined;
    slot.startedAt = this.now();
    slot.exited = new Promise<void>((resolve) => {
      child.onExit((code, signal) => {
        for (const request of this.pending.values()) if (request.child === child) request.settle(undefined);
        const consumerId = slot.process === child ? slot.consumerId : undefined;
        if (slot.process === child) {
          slot.process = undefined;
          slot.workerId = undefined;
          slot.consumerId = undefined;
        }
        if (consumerId !== undefined) this.handBack(slot, consumerId);
        resolve();
        if (!this.stopping) this.scheduleRestart(slot, code, signal);
      });
    });
    child.onMessage((message) => {
      if (!isWorkerProcessMessage(message)) return;
      if (message.type === 'started') {
        slot.workerId = message.workerId;
        slot.consumerId = message.consumerId;
        slot.startFailure = undefined;
        return;
      }
      if (message.type === 'failed') {
        slot.startFailure = message.reason;
        return;
      }
      this.pending.get(message.requestId)?.settle(message);
    });
  }

  private handBack(slot: Slot, consumerId: string): void {
    this.options
      .handBackJobs?.(consumerId)
      .then(({ jobIds, notBlamed }) => {
        if (jobIds.length > 0)
          this.options.logger.warn(
            { process: slot.index + 1, jobs: jobIds.length, notBlamed: notBlamed.length },
            `Handed ${jobIds.length} job(s) of exited process ${slot.index + 1} back to the queue` +
              (notBlamed.length > 0
                ? `; it died running one job alone, so the other ${notBlamed.length} do not count as stalled`
                : ''),
          );
      })
      .catch((error: unknown) =>
        this.options.logger.warn(
          { process: slot.index + 1, err: (error as Error).message },
          "Could not hand the exited process's jobs back; the queue retries them as stalled",
        ),
      );
  }

  private scheduleRestart(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    const ranMs = this.now() - slot.startedAt;
    slot.restartsInARow = ranMs >= (this.options.stableAfterMs ?? 60_000) ? 0 : slot.restartsInARow + 1;
    const delayMs = Math.min(
      (this.options.restartDelayMs ?? 1000) * 2 ** Math.max(0, slot.restartsInARow - 1),
      this.options.maxRestartDelayMs ?? 30_000,
    );
    this.options.logger.error(
      { process: slot.index + 1, code, signal, ranMs, restartInMs: delayMs },
      `Inference worker process ${slot.index + 1} exited unexpectedly (code ${code}, signal ${signal}); restarting in ${delayMs} ms`,
    );
    this.restarts.inc();
    slot.restartTimer = setTimeout(() => {
      if (!this.stopping) this.launch(slot);
    }, delayMs);
  }

  private async collect(): Promise<ProcessReport[]> {
    const timeoutMs = this.options.reportTimeoutMs ?? 2000;
    return Promise.all(
      this.slots.map(async (slot): Promise<ProcessReport> => {
        const child = slot.process;
        if (!child || slot.workerId === undefined) return { slot };
        const requestId = this.nextRequestId++;
        let timer: NodeJS.Timeout | undefined;
        const report = await new Promise<ReportMessage | undefined>((resolve) => {
          this.pending.set(requestId, { child, settle: resolve });
          timer = setTimeout(() => resolve(undefined), timeoutMs);
          try {
            child.send({ type: 'report', requestId });
          } catch {
            resolve(undefined);
          }
        });
        clearTimeout(timer);
        this.pending.delete(requestId);
        return { slot, report };
      }),
    );
  }
}
