// Both ends of the supervisor <-> worker process link over Node's IPC channel: forking a worker
// process (the supervisor's side) and answering the supervisor (the worker process's side).
import { fork } from 'node:child_process';
import { SUPERVISED_FLAG, isSupervisorMessage, type WorkerProcessMessage } from './supervision-protocol';
import type { RunningInferenceWorker } from './inference-worker';
import type { SupervisedProcess } from './worker-supervisor';

/**
 * Old-generation size (MB) a model process's heap starts with. V8 otherwise starts it a few MB above
 * the ~34 MB live heap, and the per-recording arrays then start a full mark-compact every ~40
 * recordings (68 in a 2,656-recording batch over two processes); with 128 there were 15, and the
 * processes took 6.7-6.8 instead of 7.9-8.7 CPU-ms per recording (bench/README.md, issue 28). The CLI's
 * screening threads start theirs at the same size.
 */
export const MODEL_PROCESS_INITIAL_OLD_SPACE_MB = 128;

/** The Node flags a model process starts with: this process's, plus the initial old space unless one is set. */
export function modelProcessNodeFlags(
  execArgv: readonly string[],
  // eslint-disable-next-line no-restricted-syntax -- Node's own variable: a heap size set there is the operator's choice
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): string[] {
  const setsInitialOldSpace = [...execArgv, ...nodeOptions.split(/\s+/)].some((flag) =>
    /^--initial[-_]old[-_]space[-_]size(=|$)/.test(flag),
  );
  return setsInitialOldSpace
    ? [...execArgv]
    : [...execArgv, `--initial-old-space-size=${MODEL_PROCESS_INITIAL_OLD_SPACE_MB}`];
}

/**
 * Starts worker process `index` (0-based) as a copy of this process: same script, arguments, Node
 * flags (modelProcessNodeFlags) and environment, plus the flag that makes it a supervised worker process.
 */
export function forkWorkerProcess(index: number): SupervisedProcess {
  const child = fork(process.argv[1], [...process.argv.slice(2), SUPERVISED_FLAG, String(index + 1)], {
    execArgv: modelProcessNodeFlags(process.execArgv),
  });
  // A send to a process that just died fails asynchronously; the exit handler deals with the death.
  child.on('error', () => undefined);
  return {
    get pid() {
      return child.pid;
    },
    send(message) {
      if (child.connected) child.send(message, (error) => void error);
    },
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => child.once('exit', listener),
    kill: (signal) => child.kill(signal),
  };
}

export interface SupervisorChannel {
  send(message: WorkerProcessMessage): void;
  onMessage(listener: (message: unknown) => void): void;
  /** The supervisor went away (crashed or was killed): nobody will ask us to stop any more. */
  onDisconnect(listener: () => void): void;
}

export const PARENT_CHANNEL: SupervisorChannel = {
  send(message) {
    if (process.connected) process.send?.(message, undefined, {}, (error) => void error);
  },
  onMessage: (listener) => process.on('message', listener),
  onDisconnect: (listener) => process.once('disconnect', listener),
};

export interface ProcessStopper {
  /** Finish the in-flight jobs, then exit; calling it again changes nothing. */
  stop(reason: string): void;
  /** Exit at once; unfinished jobs are retried by another worker. */
  exitNow(reason: string): void;
}

/**
 * Tells the supervisor this process is serving, answers its reports, and stops when told or
 * orphaned. Only a second stop from the supervisor (an operator's second signal) exits at once: a
 * SIGTERM to the whole process group plus the supervisor's own stop is one request, not two.
 */
export function answerSupervisor(
  worker: Pick<RunningInferenceWorker, 'workerId' | 'consumerId' | 'report'>,
  channel: SupervisorChannel,
  stopper: ProcessStopper,
): void {
  let stopsReceived = 0;
  channel.onMessage((message) => {
    if (!isSupervisorMessage(message)) return;
    if (message.type === 'stop') {
      stopsReceived += 1;
      if (stopsReceived > 1) stopper.exitNow('second stop from the supervisor');
      else stopper.stop('supervisor');
      return;
    }
    worker.report().then(
      ({ metrics, readiness }) =>
        channel.send({ type: 'report', requestId: message.requestId, metrics, readiness }),
      () => undefined,
    );
  });
  channel.onDisconnect(() => stopper.stop('supervisor gone'));
  channel.send({ type: 'started', workerId: worker.workerId, consumerId: worker.consumerId });
}
