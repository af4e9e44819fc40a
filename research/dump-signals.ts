// Writes the conditioned 2 kHz signals of the shared PhysioNet set (the exact signals the TypeScript
// trainer sees) and an index with labels, subsets and the model's own validation split, for the
// Python experiments next to this file.
//   npm exec -- node -r @swc-node/register research/dump-signals.ts [dataDir] [outDir]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { discoverLabelledRecordings } from '@heartbeat/model';
import { loadConditionedSignals, stratifiedSplit } from '@heartbeat/model-training';

async function main(): Promise<void> {
  const dataDir = resolve(process.argv[2] ?? join(__dirname, '../../shared/data/physionet2016'));
  const outDir = resolve(process.argv[3] ?? join(__dirname, '../tmp/research'));
  mkdirSync(outDir, { recursive: true });
  const recordings = discoverLabelledRecordings(dataDir);
  // The same split as `heartbeat train` (fraction 0.2, seed 2016).
  const validation = new Set(
    stratifiedSplit(recordings, 0.2, 2016).validation.map((r) => `${r.subset}/${r.id}`),
  );
  const { loaded, failed } = await loadConditionedSignals(recordings, {
    cacheDir: join(__dirname, '../.cache/conditioned'),
  });
  const all = new Float32Array(loaded.reduce((n, c) => n + c.signal.length, 0));
  const index: object[] = [];
  let offset = 0;
  for (const { recording, signal } of loaded) {
    all.set(signal, offset);
    index.push({
      id: recording.id,
      subset: recording.subset,
      label: recording.label,
      offset,
      length: signal.length,
      validation: validation.has(`${recording.subset}/${recording.id}`),
    });
    offset += signal.length;
  }
  writeFileSync(join(outDir, 'signals.f32'), new Uint8Array(all.buffer));
  writeFileSync(join(outDir, 'index.json'), JSON.stringify(index));
  console.log(`${loaded.length} recordings written to ${outDir} (${failed.length} failed to decode)`);
}

void main();
