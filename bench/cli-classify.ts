// Times `heartbeat classify <data> --format jsonl` over the shared PhysioNet set (2,656 recordings,
// 16.2 h of audio): decode, condition, features and ONNX inference on every core, no services.
// Wall time, and the CPU time of the run from /proc (the steadier figure on a shared machine).
//   npm exec -- node -r @swc-node/register bench/cli-classify.ts [dataDir] [--workers N] [--model DIR] [--entry FILE]
// --entry: the heartbeat script to run (default bin/heartbeat.js, which runs dist/ when it is current;
// e.g. dist/bin/heartbeat.js, or OTHER_CHECKOUT/dist/bin/heartbeat.js for a before/after pair).
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { machineLoad, procCpuMs } from './process-cpu';

const args = process.argv.slice(2);
const valueOf = (flag: string) => (args.indexOf(flag) >= 0 ? args[args.indexOf(flag) + 1] : undefined);
const optionValues = new Set([valueOf('--workers'), valueOf('--model'), valueOf('--entry')]);
const data = resolve(
  args.find((a) => !a.startsWith('--') && !optionValues.has(a)) ??
    join(__dirname, '..', '..', 'shared', 'data', 'physionet2016'),
);
const extra = [
  ...(valueOf('--workers') ? ['--workers', valueOf('--workers')!] : []),
  ...(valueOf('--model') ? ['--model', valueOf('--model')!] : []),
];
const entry = resolve(valueOf('--entry') ?? join(__dirname, '..', 'bin', 'heartbeat.js'));
const loadBefore = machineLoad();
const cpuBefore = procCpuMs().children;
const started = process.hrtime.bigint();
const run = spawnSync(
  process.execPath,
  [entry, 'classify', data, '--format', 'jsonl', '--no-progress', ...extra],
  {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  },
);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const cpuSeconds = (procCpuMs().children - cpuBefore) / 1000;
const rows = run.stdout
  .trim()
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line));
const failed = rows.filter((r) => 'code' in r).length;
const windows = rows.reduce((n, r) => n + (r.windows ?? 0), 0);
console.log(
  JSON.stringify(
    {
      data,
      entry,
      model: valueOf('--model') ?? 'default (newest in models/)',
      recordings: rows.length,
      failed,
      windows,
      wallSeconds: Number(seconds.toFixed(2)),
      recordingsPerSecond: Number((rows.length / seconds).toFixed(1)),
      cpuSeconds: Number(cpuSeconds.toFixed(2)),
      cores: availableParallelism(),
      loadBefore,
      loadAfter: machineLoad(),
      exitCode: run.status,
    },
    null,
    2,
  ),
);
