import { describe, expect, it } from 'vitest';
import { supervisedProcessNumber, type WorkerProcessMessage } from './supervision-protocol';
import {
  answerSupervisor,
  MODEL_PROCESS_INITIAL_OLD_SPACE_MB,
  modelProcessNodeFlags,
  type SupervisorChannel,
} from './supervised-process';

class FakeChannel implements SupervisorChannel {
  readonly sent: WorkerProcessMessage[] = [];
  private messageListener?: (message: unknown) => void;
  private disconnectListener?: () => void;
  send(message: WorkerProcessMessage): void {
    this.sent.push(message);
  }
  onMessage(listener: (message: unknown) => void): void {
    this.messageListener = listener;
  }
  onDisconnect(listener: () => void): void {
    this.disconnectListener = listener;
  }
  receive(message: unknown): void {
    this.messageListener?.(message);
  }
  disconnect(): void {
    this.disconnectListener?.();
  }
}

const worker = {
  workerId: 'ward-7-2',
  consumerId: 'bullmq-consumer-1',
  report: async () => ({ metrics: [], readiness: { ready: true, checks: { inFlight: 1 } } }),
};

describe('supervisedProcessNumber', () => {
  it('is the number after the flag, only when an IPC channel to the supervisor exists', () => {
    expect(supervisedProcessNumber(['node', 'main.ts', '--supervised-worker', '2'], true)).toBe(2);
    expect(supervisedProcessNumber(['node', 'main.ts', '--supervised-worker', '2'], false)).toBeUndefined();
    expect(supervisedProcessNumber(['node', 'main.ts'], true)).toBeUndefined();
    expect(supervisedProcessNumber(['node', 'main.ts', '--supervised-worker', 'x'], true)).toBeUndefined();
  });
});

describe('answerSupervisor', () => {
  it('announces the worker, answers a report request with its id, and ignores foreign messages', async () => {
    const channel = new FakeChannel();
    answerSupervisor(worker, channel, { stop: () => undefined, exitNow: () => undefined });
    expect(channel.sent).toEqual([
      { type: 'started', workerId: 'ward-7-2', consumerId: 'bullmq-consumer-1' },
    ]);
    channel.receive({ type: 'report', requestId: 41 });
    channel.receive('hello');
    await new Promise((resolve) => setImmediate(resolve));
    expect(channel.sent[1]).toEqual({
      type: 'report',
      requestId: 41,
      metrics: [],
      readiness: { ready: true, checks: { inFlight: 1 } },
    });
    expect(channel.sent).toHaveLength(2);
  });

  /** A supervised worker whose stop calls are recorded. */
  function answering() {
    const channel = new FakeChannel();
    const calls: string[] = [];
    answerSupervisor(worker, channel, {
      stop: (reason) => calls.push(`stop: ${reason}`),
      exitNow: (reason) => calls.push(`exit now: ${reason}`),
    });
    return { channel, calls };
  }

  it('stops gracefully when the supervisor says so, and when the supervisor is gone', () => {
    const { channel, calls } = answering();
    channel.receive({ type: 'stop' });
    channel.disconnect();
    expect(calls).toEqual(['stop: supervisor', 'stop: supervisor gone']);
  });

  it("exits at once only on the supervisor's second stop", () => {
    const { channel, calls } = answering();
    channel.receive({ type: 'stop' });
    channel.receive({ type: 'stop' });
    expect(calls).toEqual(['stop: supervisor', 'exit now: second stop from the supervisor']);
  });
});

describe('modelProcessNodeFlags', () => {
  const initial = `--initial-old-space-size=${MODEL_PROCESS_INITIAL_OLD_SPACE_MB}`;

  it("keeps the supervisor's flags and adds the model processes' initial old space", () => {
    expect(modelProcessNodeFlags(['--enable-source-maps'], '')).toEqual(['--enable-source-maps', initial]);
  });

  it('leaves an initial old space the operator set on the command line or in NODE_OPTIONS', () => {
    expect(modelProcessNodeFlags(['--initial-old-space-size=64'], '')).toEqual([
      '--initial-old-space-size=64',
    ]);
    expect(modelProcessNodeFlags([], '--max-old-space-size=1024 --initial_old_space_size=256')).toEqual([]);
  });

  it('is not fooled by other heap flags', () => {
    expect(modelProcessNodeFlags(['--max-old-space-size=1024'], '--max-semi-space-size=32')).toEqual([
      '--max-old-space-size=1024',
      initial,
    ]);
  });
});
