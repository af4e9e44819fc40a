import { afterEach, describe, expect, it, vi } from 'vitest';
import { Counter, createMetricsRegistry, silentLogger, type Registry } from '@heartbeat/telemetry';
import type { SupervisorMessage } from './supervision-protocol';
import { WorkerSupervisor, type SupervisedProcess } from './worker-supervisor';

/** A worker process stand-in: answers reports from its own registry unless told to stay silent. */
class FakeProcess implements SupervisedProcess {
  readonly sent: SupervisorMessage[] = [];
  readonly killed: NodeJS.Signals[] = [];
  readonly registry: Registry = createMetricsRegistry({ service: 'inference-worker', defaultMetrics: false });
  readonly jobs = new Counter({ name: 'jobs_total', help: 'jobs', registers: [this.registry] });
  ready = true;
  answers = true;
  private messageListeners: ((message: unknown) => void)[] = [];
  private exitListeners: ((code: number | null, signal: NodeJS.Signals | null) => void)[] = [];

  constructor(readonly pid: number) {}

  send(message: SupervisorMessage): void {
    this.sent.push(message);
    if (message.type === 'report' && this.answers)
      void this.registry.getMetricsAsJSON().then((metrics) =>
        this.emit({
          type: 'report',
          requestId: message.requestId,
          metrics,
          readiness: { ready: this.ready },
        }),
      );
  }
  onMessage(listener: (message: unknown) => void): void {
    this.messageListeners.push(listener);
  }
  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void {
    this.exitListeners.push(listener);
  }
  kill(signal: NodeJS.Signals): void {
    this.killed.push(signal);
    this.exit(null, signal);
  }
  emit(message: unknown): void {
    for (const listener of this.messageListeners) listener(message);
  }
  started(): this {
    this.emit({ type: 'started', workerId: `worker-${this.pid}`, consumerId: `consumer-${this.pid}` });
    return this;
  }
  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    for (const listener of this.exitListeners.splice(0)) listener(code, signal);
  }
}

function supervise(processes: number, options: { stopTimeoutMs?: number; reportTimeoutMs?: number } = {}) {
  const spawned: FakeProcess[] = [];
  const handedBack: string[] = [];
  const registry = createMetricsRegistry({ service: 'inference-worker', defaultMetrics: false });
  const supervisor = new WorkerSupervisor({
    processes,
    spawn: () => {
      const child = new FakeProcess(100 + spawned.length);
      spawned.push(child);
      return child;
    },
    logger: silentLogger(),
    registry,
    restartDelayMs: 1000,
    maxRestartDelayMs: 4000,
    stableAfterMs: 60_000,
    reportTimeoutMs: options.reportTimeoutMs ?? 50,
    stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
    handBackJobs: async (consumerId) => (
      handedBack.push(consumerId),
      { jobIds: [`job-of-${consumerId}`], notBlamed: [] }
    ),
  });
  supervisor.start();
  return { supervisor, spawned, handedBack };
}

afterEach(() => vi.useRealTimers());

describe('WorkerSupervisor', () => {
  it('is ready only once every process has started and reports itself ready', async () => {
    const { supervisor, spawned } = supervise(2);
    expect(spawned).toHaveLength(2);
    expect((await supervisor.readiness()).ready).toBe(false);

    spawned[0].started();
    expect(await supervisor.readiness()).toMatchObject({
      ready: false,
      checks: { processes: 2, readyProcesses: 1 },
    });

    spawned[1].started().ready = false;
    expect((await supervisor.readiness()).ready).toBe(false);

    spawned[1].ready = true;
    expect(await supervisor.readiness()).toMatchObject({
      ready: true,
      checks: {
        readyProcesses: 2,
        workers: [
          { workerId: 'worker-100', pid: 100, ready: true },
          { workerId: 'worker-101', pid: 101, ready: true },
        ],
      },
    });
  });

  it('says why a process could not start (a model whose files are missing) until a later start succeeds', async () => {
    vi.useFakeTimers();
    const { supervisor, spawned } = supervise(1);
    const reason =
      'Model version 1.6.0 is registered but its file models/1.6.0/model.onnx is missing from object storage';
    spawned[0].emit({ type: 'failed', reason });
    spawned[0].exit(1);
    expect(await supervisor.readiness()).toMatchObject({
      ready: false,
      checks: { startFailure: reason, workers: [{ startFailure: reason }] },
    });

    await vi.advanceTimersByTimeAsync(1000);
    spawned[1].started();
    const recovered = await supervisor.readiness();
    expect(recovered.ready).toBe(true);
    expect(recovered.checks).not.toHaveProperty('startFailure');
  });

  it("serves the processes' metrics added up, with its own process gauge and restart counter", async () => {
    const { supervisor, spawned } = supervise(2);
    spawned[0].started().jobs.inc(3);
    spawned[1].started().jobs.inc(4);
    const text = await supervisor.metrics();
    expect(text).toContain('jobs_total{service="inference-worker"} 7');
    expect(text).toContain('heartbeat_inference_processes{state="desired",service="inference-worker"} 2');
    expect(text).toContain('heartbeat_inference_processes{state="running",service="inference-worker"} 2');
    expect(text).toContain('heartbeat_inference_process_restarts_total{service="inference-worker"} 0');
  });

  it('counts a process that does not answer in time as not ready, and leaves its metrics out', async () => {
    const { supervisor, spawned } = supervise(2);
    spawned[0].started().jobs.inc(3);
    spawned[1].started().answers = false;
    expect(await supervisor.readiness()).toMatchObject({ ready: false, checks: { readyProcesses: 1 } });
    expect(await supervisor.metrics()).toContain('jobs_total{service="inference-worker"} 3');
  });

  it('does not wait out the report timeout for a process that dies before it answers', async () => {
    const { supervisor, spawned } = supervise(1, { reportTimeoutMs: 60_000 });
    spawned[0].started().answers = false;
    const readiness = supervisor.readiness();
    spawned[0].exit(1);
    expect(await readiness).toMatchObject({ ready: false, checks: { readyProcesses: 0 } });
    await supervisor.stop();
  });

  it("hands a dead process's jobs back at once, before its restart, and only that process's", async () => {
    vi.useFakeTimers();
    const { spawned, handedBack } = supervise(2);
    spawned[0].started();
    spawned[1].started();
    spawned[0].exit(null, 'SIGKILL');
    expect(handedBack).toEqual(['consumer-100']);
    // A process that died before it started held no jobs.
    await vi.advanceTimersByTimeAsync(1000);
    spawned[2].exit(1);
    expect(handedBack).toEqual(['consumer-100']);
  });

  it('restarts a process that died, waiting longer after each crash in a row', async () => {
    vi.useFakeTimers();
    const { supervisor, spawned } = supervise(1);
    spawned[0].started().exit(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(spawned).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(spawned).toHaveLength(2);

    spawned[1].exit(1);
    await vi.advanceTimersByTimeAsync(1999);
    expect(spawned).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(spawned).toHaveLength(3);

    spawned[2].started();
    const metrics = supervisor.metrics();
    await vi.advanceTimersByTimeAsync(0);
    expect(await metrics).toContain(
      'heartbeat_inference_process_restarts_total{service="inference-worker"} 2',
    );
  });

  it('starts the back-off afresh for a process that had run stably before it died', async () => {
    vi.useFakeTimers();
    const { spawned } = supervise(1);
    spawned[0].exit(1);
    await vi.advanceTimersByTimeAsync(1000);
    spawned[1].exit(1);
    await vi.advanceTimersByTimeAsync(2000);
    await vi.advanceTimersByTimeAsync(120_000);
    spawned[2].exit(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(spawned).toHaveLength(4);
  });

  it('asks every process to stop, waits for all of them, and restarts none', async () => {
    const { supervisor, spawned } = supervise(2);
    spawned.forEach((child) => child.started());
    let stopped = false;
    const stopping = supervisor.stop().then(() => (stopped = true));
    expect(spawned.map((child) => child.sent.filter((m) => m.type === 'stop'))).toEqual([
      [{ type: 'stop' }],
      [{ type: 'stop' }],
    ]);
    expect((await supervisor.readiness()).ready).toBe(false);

    spawned[0].exit(0);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(stopped).toBe(false);
    spawned[1].exit(0);
    await stopping;
    expect(spawned).toHaveLength(2);
    expect(spawned.flatMap((child) => child.killed)).toEqual([]);
  });

  it('passes a second stop on, so processes exit without waiting for their jobs', async () => {
    const { supervisor, spawned } = supervise(1);
    spawned[0].started();
    const stopping = supervisor.stop();
    void supervisor.stop();
    expect(spawned[0].sent.filter((m) => m.type === 'stop')).toHaveLength(2);
    spawned[0].exit(1);
    await stopping;
  });

  it('kills processes still running when the stop timeout passes', async () => {
    vi.useFakeTimers();
    const { supervisor, spawned } = supervise(2, { stopTimeoutMs: 5000 });
    spawned[0].started();
    spawned[1].started();
    const stopping = supervisor.stop();
    spawned[0].exit(0);
    await vi.advanceTimersByTimeAsync(5000);
    await stopping;
    expect(spawned[0].killed).toEqual([]);
    expect(spawned[1].killed).toEqual(['SIGKILL']);
  });

  it('does not restart a process whose restart was pending when the stop came', async () => {
    vi.useFakeTimers();
    const { supervisor, spawned } = supervise(1);
    spawned[0].exit(1);
    await supervisor.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(spawned).toHaveLength(1);
  });
});
