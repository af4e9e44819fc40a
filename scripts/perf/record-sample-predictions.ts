// Records what the shipped model versions answer for each recording in samples/, at full precision,
// into libs/model/test/fixtures/sample-predictions.json. The test beside that file checks that
// performance work (faster FFT, fewer copies, batched input tensors) leaves every answer unchanged.
// Run it only when a change of the answers is intended (a new model version, a deliberate fix):
//   node -r @swc-node/register scripts/perf/record-sample-predictions.ts [version...]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bundledModelDirs, loadRecordingScreener } from '@heartbeat/model';

const ROOT = join(__dirname, '..', '..');
const OUT = join(ROOT, 'libs', 'model', 'test', 'fixtures', 'sample-predictions.json');

export function sampleRecordings(): string[] {
  const samples = join(ROOT, 'samples');
  return readdirSync(samples, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) =>
      readdirSync(join(samples, entry.name))
        .filter((name) => name.endsWith('.flac'))
        .map((name) => join(samples, entry.name, name)),
    )
    .sort();
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const dirs = bundledModelDirs().filter(
    (dir) => wanted.length === 0 || wanted.includes(dir.split('/').pop()!),
  );
  const versions: Record<string, Record<string, unknown>> = {};
  for (const dir of dirs) {
    const screener = await loadRecordingScreener(dir);
    const answers: Record<string, unknown> = {};
    for (const file of sampleRecordings()) {
      const result = await screener.screen(readFileSync(file));
      answers[relative(ROOT, file)] = {
        label: result.label,
        probability: result.probability,
        quality: result.quality,
        meanLogit: result.meanLogit,
        cycleLogit: result.cycleLogit ?? null,
        windowLogits: result.windowLogits,
      };
    }
    versions[screener.manifest.version] = answers;
    process.stderr.write(`${screener.manifest.version}: ${Object.keys(answers).length} recordings\n`);
  }
  writeFileSync(
    OUT,
    `${JSON.stringify({ recordedWith: 'scripts/perf/record-sample-predictions.ts', versions }, null, 1)}\n`,
  );
}

if (require.main === module) void main();
