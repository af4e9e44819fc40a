// Runs Debian's promtool (package `prometheus`) for the deploy tests. CI installs it (.ci/run); on a
// machine without it the tests that need it are skipped with a message saying how to get it.
import { spawnSync } from 'node:child_process';

export const PROMTOOL = 'promtool';

export const promtoolAvailable = spawnSync(PROMTOOL, ['--version'], { encoding: 'utf8' }).status === 0;

if (!promtoolAvailable)
  console.warn(
    'promtool not found: skipping the Prometheus checks (install the Debian/Ubuntu package `prometheus`; CI does).',
  );

export interface PromtoolResult {
  status: number | null;
  output: string;
}

export function promtool(args: string[], input?: string): PromtoolResult {
  const run = spawnSync(PROMTOOL, args, { input, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout ?? ''}${run.stderr ?? ''}`.trim() };
}
