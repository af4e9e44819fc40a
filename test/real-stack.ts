// Starting HeartBeat's own services (gateway, workers) as child processes for tests on the real
// stack, and waiting for them: one helper instead of a copy per test file.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const REPOSITORY_ROOT = path.resolve(__dirname, '..');

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** True once the process has exited. */
  exited(): boolean;
  /** SIGTERM (or `signal`), then waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs `entry` (a TypeScript main, relative to the repository root) through SWC with `env` on top of this process's. */
export function startService(name: string, entry: string, env: Record<string, string>): ServiceProcess {
  let output = '';
  const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(REPOSITORY_ROOT, entry)], {
    cwd: REPOSITORY_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    name,
    child,
    output: () => output,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (exited()) return;
      const exit = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exit;
    },
  };
}

export interface WaitOptions {
  timeoutMs?: number;
  everyMs?: number;
  /** Services whose exit ends the wait at once, with the tail of their output. */
  services?: readonly (ServiceProcess | undefined)[];
}

function tails(services: readonly (ServiceProcess | undefined)[]): string {
  return services
    .filter((service): service is ServiceProcess => service !== undefined)
    .map((service) => `--- ${service.name} ---\n${service.output().slice(-3000)}`)
    .join('\n');
}

/**
 * Polls `probe` until it gives a value (a probe that throws counts as "not yet"). Fails early when
 * one of `services` exits, and on time-out, with what the services wrote last.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 120_000, everyMs = 250, services = [] }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    const gone = services.find((service) => service?.exited());
    if (gone)
      throw new Error(
        `${gone.name} exited (${gone.child.exitCode ?? gone.child.signalCode}) while waiting for ${what}:\n${tails(services)}`,
      );
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs / 1000} s waiting for ${what}:\n${tails(services)}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
