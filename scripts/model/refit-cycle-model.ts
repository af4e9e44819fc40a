// A new model version with the same network and a heart-cycle model fitted again (or for the first
// time) on the source version's training records, its weighted logit added to the network's mean
// window logits from validation-scores.json (and held-out-scores.json for a leave-one-subset-out run),
// and the decision refitted on those scores, as `heartbeat train` would have done after the network.
//   npm exec -- node -r @swc-node/register scripts/model/refit-cycle-model.ts <fromDir> <toDir> <version>
//     [--data ../shared/data/physionet2016] [--cache .cache/conditioned] [--weight 0.25] [--window 128] [--cycle-features cycle+aligned]
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HeartSoundWindowLength } from '@heartbeat/audio';
import {
  CYCLE_FEATURE_SETS,
  CYCLE_MODEL_SPECTROGRAM_WINDOW,
  DEFAULT_CYCLE_MODEL_WEIGHT,
  discoverLabelledRecordings,
  readModelManifest,
  writeModelManifest,
  type CycleFeatureSet,
  type LabelledRecording,
} from '@heartbeat/model';
import {
  cycleModelManifestFields,
  loadConditionedSignals,
  reportFor,
  splitOf,
  trainCycleModel,
  writeModelCardFile,
  writeRecordScores,
  type RecordScoreRow,
  type TrainingReport,
} from '@heartbeat/model-training';

const [fromDir, toDir, version] = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const dataDir = option('data', '../shared/data/physionet2016');
const cacheDir = option('cache', '.cache/conditioned');
const weight = Number(option('weight', String(DEFAULT_CYCLE_MODEL_WEIGHT)));
const windowLength = Number(
  option('window', String(CYCLE_MODEL_SPECTROGRAM_WINDOW)),
) as HeartSoundWindowLength;
const featureSet = option('cycle-features', 'cycle') as CycleFeatureSet;
if (!fromDir || !toDir || !version || !(weight > 0) || !CYCLE_FEATURE_SETS.includes(featureSet)) {
  console.error(
    `usage: refit-cycle-model.ts <fromDir> <toDir> <version> [--data DIR] [--cache DIR] [--weight W > 0] [--window 80|128] [--cycle-features ${CYCLE_FEATURE_SETS.join('|')}]`,
  );
  process.exit(2);
}

async function main(): Promise<void> {
  const source = readModelManifest(fromDir);
  const split = splitOf(source, discoverLabelledRecordings(dataDir));
  const { loaded, failed } = await loadConditionedSignals(
    [...split.training, ...split.validation, ...split.heldOut],
    { cacheDir },
  );
  for (const f of failed) console.error(`skipped ${f.recording.path}: ${f.error}`);
  const keyOf = (r: { subset: string; id: string }) => `${r.subset}/${r.id}`;
  const signals = new Map(loaded.map((c) => [keyOf(c.recording), c]));
  const recordings = new Map([...split.validation, ...split.heldOut].map((r) => [keyOf(r), r]));
  // The network's mean window logits, as the source's training wrote them.
  const networkScores = (file: string) =>
    (JSON.parse(readFileSync(join(fromDir, file), 'utf8')) as RecordScoreRow[]).map((row) => {
      const recording = recordings.get(keyOf(row));
      if (!recording)
        throw new Error(
          `${file}: ${keyOf(row)} is not among ${fromDir}'s validation or held-out records in ${dataDir}`,
        );
      return { recording, meanLogit: row.meanLogit, windowLogits: [] as number[] };
    });

  mkdirSync(toDir, { recursive: true });
  const cycle = trainCycleModel({
    training: split.training.map((r) => signals.get(keyOf(r))).filter((c) => c !== undefined),
    validation: networkScores('validation-scores.json'),
    signalOf: (recording: LabelledRecording) => signals.get(keyOf(recording))?.signal,
    weight,
    thresholdRule: source.decision.thresholdRule ?? 'pooled-macc',
    outDir: toDir,
    spectrogramWindowLength: windowLength,
    featureSet,
  });
  const decide = (scores: typeof cycle.validationScores) =>
    reportFor(scores, cycle.calibration, cycle.threshold);
  writeRecordScores(join(toDir, 'validation-scores.json'), cycle.validationScores);
  const validation = decide(cycle.validationScores);
  let heldOut: TrainingReport['heldOut'];
  if (existsSync(join(fromDir, 'held-out-scores.json')) && split.heldOut.length > 0) {
    const heldOutScores = cycle.score(networkScores('held-out-scores.json'));
    writeRecordScores(join(toDir, 'held-out-scores.json'), heldOutScores);
    heldOut = { subset: split.heldOut[0].subset, ...decide(heldOutScores) };
  }

  // The network is the source's; metrics, manifest and card are redone.
  for (const file of [source.artifacts.tfjs, 'weights.bin', source.artifacts.onnx ?? 'model.onnx']) {
    if (fromDir !== toDir && existsSync(join(fromDir, file)))
      copyFileSync(join(fromDir, file), join(toDir, file));
  }
  const metricsFile = source.artifacts.metrics ?? 'metrics.json';
  const metrics = JSON.parse(readFileSync(join(fromDir, metricsFile), 'utf8')) as TrainingReport;
  writeFileSync(
    join(toDir, metricsFile),
    JSON.stringify({ ...metrics, version, validation, heldOut }, null, 2) + '\n',
  );
  const fields = cycleModelManifestFields(cycle);
  writeModelManifest(toDir, {
    ...source,
    version,
    createdAt: new Date().toISOString(),
    decision: {
      ...source.decision,
      calibration: cycle.calibration,
      threshold: cycle.threshold,
      thresholdRule: cycle.thresholdRule,
      ...fields.decision,
    },
    artifacts: { ...source.artifacts, ...fields.artifacts },
    training: {
      ...source.training,
      cycleModelWeight: weight,
      cycleModelRefittedFrom: source.version,
      cycleModelRefitCommand: `npm exec -- node -r @swc-node/register scripts/model/refit-cycle-model.ts ${process.argv.slice(2).join(' ')}`,
    },
  });
  if (source.artifacts.card) writeModelCardFile(toDir);

  const f = (v: number) => v.toFixed(3);
  console.log(
    `${version}: heart-cycle model (${windowLength}-sample window, weight ${weight}), threshold ${f(cycle.threshold)}`,
  );
  console.log(`  validation: MAcc ${f(validation.overall.macc)} AUC ${f(validation.overall.auc)}`);
  for (const [subset, m] of Object.entries(validation.perSubset))
    console.log(`    ${subset}: AUC ${f(m.auc)} MAcc ${f(m.macc)}`);
  if (heldOut)
    console.log(
      `  held out ${heldOut.subset}: MAcc ${f(heldOut.overall.macc)} AUC ${f(heldOut.overall.auc)}`,
    );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
