// Times `heartbeat classify <data> --format jsonl` over the shared PhysioNet set (2,656 recordings,
// 16.2 h of audio): decode, condition, features and ONNX inference on every core, no services.
//   npm exec -- node -r @swc-node/register bench/cli-classify.ts [dataDir] [--workers N] [--model DIR]
import { spawnSync } from 'node:child_process';
import { loadavg, availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const valueOf = (flag: string) => (args.indexOf(flag) >= 0 ? args[args.indexOf(flag) + 1] : undefined);
const optionValues = new Set([valueOf('--workers'), valueOf('--model')]);
const data = resolve(
  args.find((a) => !a.startsWith('--') && !optionValues.has(a)) ??
    join(__dirname, '..', '..', 'shared', 'data', 'physionet2016'),
);
const extra = [
  ...(valueOf('--workers') ? ['--workers', valueOf('--workers')!] : []),
  ...(valueOf('--model') ? ['--model', valueOf('--model')!] : []),
];
const loadBefore = loadavg()[0];
const started = process.hrtime.bigint();
const run = spawnSync(
  process.execPath,
  [
    join(__dirname, '..', 'bin', 'heartbeat.js'),
    'classify',
    data,
    '--format',
    'jsonl',
    '--no-progress',
    ...extra,
  ],
  {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  },
);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
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
      model: valueOf('--model') ?? 'default (newest in models/)',
      recordings: rows.length,
      failed,
      windows,
      wallSeconds: Number(seconds.toFixed(2)),
      recordingsPerSecond: Number((rows.length / seconds).toFixed(1)),
      cores: availableParallelism(),
      loadAverageBefore: Number(loadBefore.toFixed(2)),
      exitCode: run.status,
    },
    null,
    2,
  ),
);
