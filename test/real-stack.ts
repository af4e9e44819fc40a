// Starting real services (HeartBeat's gateway and workers, s3rver, Prometheus, the console) as child
// processes for tests and benchmarks on the real stack, and waiting for them: one helper instead of
// a copy per test file.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const REPOSITORY_ROOT = path.resolve(__dirname, '..');

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far (the last `keepOutputChars` of it, if set). */
  output(): string;
  /** True once the process has exited. */
  exited(): boolean;
  /** Resolves with the exit code (null after a signal) once the process has exited. */
  exit(): Promise<number | null>;
  /** SIGTERM (or `signal`), then waits for the exit; SIGKILL after `killAfterMs` if given. */
  stop(signal?: NodeJS.Signals, options?: { killAfterMs?: number }): Promise<void>;
}

export interface ProcessOptions {
  /** On top of this process's environment. */
  env?: Record<string, string>;
  /** Default: the repository root. */
  cwd?: string;
  /** Keep only the end of the output (for long-lived processes that log a lot). Default: all of it. */
  keepOutputChars?: number;
}

/** Starts `command args` with its output captured (see ServiceProcess). */
export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  { env = {}, cwd = REPOSITORY_ROOT, keepOutputChars }: ProcessOptions = {},
): ServiceProcess {
  let output = '';
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    if (keepOutputChars !== undefined && output.length > keepOutputChars)
      output = output.slice(-keepOutputChars);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  // Settles even when spawning fails (no 'exit' then, only 'error').
  const exit = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (error) => {
      output += `\n${error.message}`;
      resolve(-1);
    });
  });
  return {
    name,
    child,
    output: () => output,
    exited,
    exit: () => exit,
    async stop(signal: NodeJS.Signals = 'SIGTERM', { killAfterMs }: { killAfterMs?: number } = {}) {
      if (exited()) return;
      child.kill(signal);
      const timer =
        killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Runs `entry` (a TypeScript main, relative to the repository root) through SWC with `env` on top of this process's. */
export function startService(
  name: string,
  entry: string,
  env: Record<string, string>,
  options: Omit<ProcessOptions, 'env'> = {},
): ServiceProcess {
  return startProcess(
    name,
    process.execPath,
    ['-r', '@swc-node/register', path.join(REPOSITORY_ROOT, entry)],
    {
      ...options,
      env,
    },
  );
}

/** Runs a command to its end; fails with the tail of its output unless it exits with 0. Returns the output. */
export async function runToCompletion(
  name: string,
  command: string,
  args: readonly string[],
  options: ProcessOptions = {},
): Promise<string> {
  const run = startProcess(name, command, args, options);
  const code = await run.exit();
  if (code !== 0)
    throw new Error(`${name} failed (${code ?? run.child.signalCode}):\n${run.output().slice(-4000)}`);
  return run.output();
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
