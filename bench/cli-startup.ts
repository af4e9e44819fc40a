// Start-up of `heartbeat classify one-file`: wall time and the CPU of the child process (from /proc,
// so a loaded machine shows what the run itself cost), compiled build (dist/, `npm run build`)
// against the SWC path, interleaved. No npx: `npx` adds its own start-up (~0.3-1 s) in front.
//   npm exec -- node -r @swc-node/register bench/cli-startup.ts [--runs 5] [--file samples/training-a/a0114.flac] [--before DIR]
// --before DIR: also runs DIR/dist/bin/heartbeat.js, the compiled build of another checkout (e.g. a
// `git worktree` of the commit before a change, with node_modules linked and `npm run build` run in it).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { machineLoad, procCpuMs } from './process-cpu';

const ROOT = join(__dirname, '..');
const args = process.argv.slice(2);
const valueOf = (flag: string) => (args.indexOf(flag) >= 0 ? args[args.indexOf(flag) + 1] : undefined);
const runs = Number(valueOf('--runs') ?? 5);
const file = valueOf('--file') ?? join(ROOT, 'samples', 'training-a', 'a0114.flac');

type Variant = { name: string; script: string; env: NodeJS.ProcessEnv };
const entry = join(ROOT, 'bin', 'heartbeat.js');
const variants: Variant[] = [
  // dist/bin/heartbeat.js directly: bin/heartbeat.js would fall back to SWC when a source changed
  // since the build (which happens mid-run where other work edits the tree).
  { name: 'compiled (dist/)', script: join(ROOT, 'dist', 'bin', 'heartbeat.js'), env: process.env },
  { name: 'sources (SWC at start)', script: entry, env: { ...process.env, HEARTBEAT_FROM_SOURCES: '1' } },
];
const before = valueOf('--before');
if (before)
  variants.push({
    name: `before: ${before}/dist`,
    script: join(before, 'dist', 'bin', 'heartbeat.js'),
    env: process.env,
  });
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS helper bin/heartbeat.js uses
const { compiledBuildIsCurrent } = require('../bin/compiled-build.js') as {
  compiledBuildIsCurrent: (root: string) => boolean;
};
const compiledCurrent = () => compiledBuildIsCurrent(ROOT);
if (!existsSync(join(ROOT, 'dist', 'build-info.json')) || !compiledCurrent())
  console.error(
    'dist/ is missing or older than the sources: run `npm run build` first, or the compiled variant takes the SWC path too.',
  );

const samples = new Map<string, { wallMs: number; cpuMs: number }[]>(variants.map((v) => [v.name, []]));
for (let i = 0; i < runs + 1; i++) {
  for (const variant of variants) {
    const cpuBefore = procCpuMs().children;
    const started = performance.now();
    const run = spawnSync(
      process.execPath,
      [variant.script, 'classify', file, '--format', 'jsonl', '--no-progress'],
      { env: variant.env, encoding: 'utf8' },
    );
    const wallMs = performance.now() - started;
    if (run.status !== 0) throw new Error(`heartbeat classify exited ${run.status}: ${run.stderr}`);
    if (i > 0) samples.get(variant.name)!.push({ wallMs, cpuMs: procCpuMs().children - cpuBefore }); // run 0 warms the compile cache
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(
  JSON.stringify(
    {
      file,
      runs,
      node: process.version,
      compiledBuildWasCurrent: compiledCurrent(),
      ...machineLoad(),
      results: Object.fromEntries(
        [...samples].map(([name, list]) => [
          name,
          {
            medianWallMs: Math.round(median(list.map((s) => s.wallMs))),
            medianCpuMs: Math.round(median(list.map((s) => s.cpuMs))),
            wallMs: list.map((s) => Math.round(s.wallMs)),
            cpuMs: list.map((s) => Math.round(s.cpuMs)),
          },
        ]),
      ),
    },
    null,
    2,
  ),
);
