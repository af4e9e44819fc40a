// The product's heart-cycle model (TypeScript segmentation, features and gradient boosting) on the
// dumped research signals: its logits in-distribution (fit on the model's training split, scored on
// its validation split) and by leave-one-subset-out, written for hsmm_feats_combo.py to combine with
// the window CNN's saved scores; prints the features' cost per recording.
//   npm exec -- node -r @swc-node/register research/cycle-model-check.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HeartSoundWindowLength } from '@heartbeat/audio';
import { cycleFeaturesOf, cycleModelLogit, fitCycleModel } from '@heartbeat/model';

type Entry = {
  id: string;
  subset: string;
  label: string;
  offset: number;
  length: number;
  validation: boolean;
};
const dir = join(__dirname, '../tmp/research');
const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as Entry[];
const bytes = readFileSync(join(dir, 'signals.f32'));
const signals = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);

const started = performance.now();
// `--window 128`: the heart-sound spectrogram with the compact CNN input's 64-ms window (default 40 ms).
const windowFlag = process.argv.indexOf('--window');
const windowLength = (windowFlag >= 0 ? Number(process.argv[windowFlag + 1]) : 80) as HeartSoundWindowLength;
const features = index.map((r) =>
  cycleFeaturesOf(signals.slice(r.offset, r.offset + r.length), windowLength),
);
const seconds = (performance.now() - started) / 1000;
const audioSeconds = index.reduce((s, r) => s + r.length / 2000, 0);
console.log(
  `features: ${((seconds * 1000) / index.length).toFixed(1)} ms per recording (${(audioSeconds / index.length).toFixed(1)} s of audio on average), ${features.filter((f) => f === null).length} without`,
);
const labels = index.map((r) => (r.label === 'abnormal' ? 1 : 0));

const out: Record<string, number[]> = {};
const fitAndScore = (train: (r: Entry) => boolean, test: (r: Entry) => boolean, name: string) => {
  const t = performance.now();
  const rows = index.map((r, i) => i).filter((i) => train(index[i]));
  const model = fitCycleModel(
    rows.map((i) => features[i]),
    rows.map((i) => labels[i]),
    windowLength,
  );
  out[name] = index
    .map((r, i) => i)
    .filter((i) => test(index[i]))
    .map((i) => cycleModelLogit(model, features[i]));
  console.log(`${name}: fitted on ${rows.length} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
};
fitAndScore(
  (r) => !r.validation,
  (r) => r.validation,
  'indist',
);
for (const held of ['training-a', 'training-b', 'training-d', 'training-e'])
  fitAndScore(
    (r) => r.subset !== held,
    (r) => r.subset === held,
    held,
  );
writeFileSync(join(dir, 'ts-cycle-model-logits.json'), JSON.stringify(out));
