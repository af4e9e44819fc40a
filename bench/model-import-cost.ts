// What importing each model entry costs a fresh process: CPU time of the require, modules loaded
// (and how many are TensorFlow.js), resident memory after it. The serving entry (@heartbeat/model) is
// what the inference worker, the gateway and the CLI's classify load; @heartbeat/model-training is
// roughly what the single @heartbeat/model entry loaded before the split (the network, tfjs, training).
// Run: npm exec -- node -r @swc-node/register bench/model-import-cost.ts [runs per entry, default 5]
import { execFileSync } from 'node:child_process';
import { machineLoad } from './process-cpu';

const ENTRIES = ['@heartbeat/model', '@heartbeat/model/screening', '@heartbeat/model-training'];
const runs = Number(process.argv[2] ?? 5);

interface Sample {
  cpuMs: number;
  modules: number;
  tfjsModules: number;
  rssMb: number;
}

function sample(entry: string): Sample {
  const script = `
    const start = process.cpuUsage();
    require(${JSON.stringify(entry)});
    const used = process.cpuUsage(start);
    const modules = Object.keys(require.cache);
    process.stdout.write(JSON.stringify({
      cpuMs: (used.user + used.system) / 1000,
      modules: modules.length,
      tfjsModules: modules.filter((file) => file.includes('@tensorflow')).length,
      rssMb: process.memoryUsage().rss / 1e6,
    }));`;
  return JSON.parse(
    execFileSync(process.execPath, ['-r', '@swc-node/register', '-e', script], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as Sample;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const before = machineLoad();
for (const entry of ENTRIES) sample(entry); // SWC's cache warm for every entry
const rows = ENTRIES.map((entry) => {
  const samples = Array.from({ length: runs }, () => sample(entry));
  const cpu = samples.map((s) => s.cpuMs);
  return {
    entry,
    cpuMsMedian: Math.round(median(cpu)),
    cpuMsRange: `${Math.round(Math.min(...cpu))}-${Math.round(Math.max(...cpu))}`,
    modules: samples[0].modules,
    tfjsModules: samples[0].tfjsModules,
    rssMb: Math.round(median(samples.map((s) => s.rssMb))),
  };
});
const after = machineLoad();
console.table(rows);
console.log(
  `${runs} runs per entry; load average (1 min) ${before.loadAverage1m.toFixed(1)} before, ${after.loadAverage1m.toFixed(1)} after`,
);
