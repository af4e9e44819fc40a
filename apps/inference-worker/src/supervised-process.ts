// Both ends of the supervisor <-> worker process link over Node's IPC channel: forking a worker
// process (the supervisor's side) and answering the supervisor (the worker process's side).
import { fork } from 'node:child_process';
import { SUPERVISED_FLAG, isSupervisorMessage, type WorkerProcessMessage } from './supervision-protocol';
import type { RunningInferenceWorker } from './inference-worker';
import type { SupervisedProcess } from './worker-supervisor';

/**
 * Starts worker process `index` (0-based) as a copy of this process: same script, arguments, Node
 * flags and environment, plus the flag that makes it a supervised worker process.
 */
export function forkWorkerProcess(index: number): SupervisedProcess {
  const child = fork(process.argv[1], [...process.argv.slice(2), SUPERVISED_FLAG, String(index + 1)], {
    execArgv: process.execArgv,
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

/** Tells the supervisor this process is serving, answers its reports, and stops when told (or orphaned). */
export function answerSupervisor(
  worker: Pick<RunningInferenceWorker, 'workerId' | 'report'>,
  channel: SupervisorChannel,
  requestStop: (reason: string) => void,
): void {
  channel.onMessage((message) => {
    if (!isSupervisorMessage(message)) return;
    if (message.type === 'stop') {
      requestStop('supervisor');
      return;
    }
    worker.report().then(
      ({ metrics, readiness }) =>
        channel.send({ type: 'report', requestId: message.requestId, metrics, readiness }),
      () => undefined,
    );
  });
  channel.onDisconnect(() => requestStop('supervisor gone'));
  channel.send({ type: 'started', workerId: worker.workerId });
}
