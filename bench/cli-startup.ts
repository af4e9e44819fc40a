// Start-up of `heartbeat classify one-file`: wall time and the CPU of the child process (from /proc,
// so a loaded machine shows what the run itself cost), compiled build (dist/, `npm run build`)
// against the SWC path, interleaved. No npx: `npx` adds its own start-up (~0.3-1 s) in front.
//   npm exec -- node -r @swc-node/register bench/cli-startup.ts [--runs 5] [--file samples/training-a/a0114.flac] [--before DIR]
// --before DIR: also runs DIR/dist/bin/heartbeat.js, the compiled build of another checkout (e.g. a
// `git worktree` of the commit before a change, with node_modules linked and `npm run build` run in it).
// --main-thread: also reports the CPU of each run's main thread (/proc/self/task/PID/stat, read at exit
// by a probe loaded with --import): with the ONNX session on a thread of its own, the main thread is
// the critical path, and on a loaded machine its CPU says more than the wall time.
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

const MAIN_THREAD_PREFIX = 'heartbeat-main-thread-cpu-ms ';
const MAIN_THREAD_PROBE = `data:text/javascript,import { readFileSync } from 'node:fs'; process.on('exit', () => { const s = readFileSync('/proc/self/task/' + process.pid + '/stat', 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); process.stderr.write('${MAIN_THREAD_PREFIX}' + (Number(f[11]) + Number(f[12])) * 10 + '\\n'); });`;
const probeMainThread = args.includes('--main-thread');

const samples = new Map<string, { wallMs: number; cpuMs: number; mainThreadCpuMs?: number }[]>(
  variants.map((v) => [v.name, []]),
);
for (let i = 0; i < runs + 1; i++) {
  for (const variant of variants) {
    const cpuBefore = procCpuMs().children;
    const started = performance.now();
    const run = spawnSync(
      process.execPath,
      [
        ...(probeMainThread ? ['--import', MAIN_THREAD_PROBE] : []),
        variant.script,
        'classify',
        file,
        '--format',
        'jsonl',
        '--no-progress',
      ],
      { env: variant.env, encoding: 'utf8' },
    );
    const wallMs = performance.now() - started;
    if (run.status !== 0) throw new Error(`heartbeat classify exited ${run.status}: ${run.stderr}`);
    const probed = run.stderr.split('\n').find((line) => line.startsWith(MAIN_THREAD_PREFIX));
    const mainThreadCpuMs = probed ? Number(probed.slice(MAIN_THREAD_PREFIX.length)) : undefined;
    // run 0 warms the compile cache
    if (i > 0)
      samples.get(variant.name)!.push({ wallMs, cpuMs: procCpuMs().children - cpuBefore, mainThreadCpuMs });
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
            ...(probeMainThread && {
              medianMainThreadCpuMs: median(list.map((s) => s.mainThreadCpuMs ?? Number.NaN)),
              mainThreadCpuMs: list.map((s) => s.mainThreadCpuMs),
            }),
          },
        ]),
      ),
    },
    null,
    2,
  ),
);
