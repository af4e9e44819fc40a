// The messages between the worker supervisor and its worker processes, over Node's IPC channel.
// The supervisor owns the metrics port; each worker process answers "report" with a snapshot of its
// metrics and readiness, and stops (finishing its in-flight jobs) on "stop".
import type { MetricsSnapshot, ReadinessReport } from '@heartbeat/telemetry';

/** The command-line flag a supervisor starts its worker processes with, followed by the process number (1-based). */
export const SUPERVISED_FLAG = '--supervised-worker';

/** The process number when this process was started by a supervisor (with an IPC channel to it). */
export function supervisedProcessNumber(argv: readonly string[], hasChannel: boolean): number | undefined {
  const at = argv.indexOf(SUPERVISED_FLAG);
  if (at < 0 || !hasChannel) return undefined;
  const number = Number(argv[at + 1]);
  return Number.isInteger(number) && number >= 1 ? number : undefined;
}

export type SupervisorMessage =
  | { type: 'report'; requestId: number }
  /** The first asks for a graceful stop; a second one means exit now. */
  | { type: 'stop' };

export type WorkerProcessMessage =
  /** consumerId: the BullMQ worker id that owns this process's job locks, so the supervisor can hand its jobs back if it dies. */
  | { type: 'started'; workerId: string; consumerId?: string }
  /** Sent just before a process that could not start exits, so the supervisor can say why it is not ready. */
  | { type: 'failed'; reason: string }
  | { type: 'report'; requestId: number; metrics: MetricsSnapshot; readiness: ReadinessReport };

export function isWorkerProcessMessage(message: unknown): message is WorkerProcessMessage {
  if (typeof message !== 'object' || message === null) return false;
  const { type } = message as { type?: unknown };
  return type === 'started' || type === 'report' || type === 'failed';
}

export function isSupervisorMessage(message: unknown): message is SupervisorMessage {
  if (typeof message !== 'object' || message === null) return false;
  const { type } = message as { type?: unknown };
  return type === 'report' || type === 'stop';
}
