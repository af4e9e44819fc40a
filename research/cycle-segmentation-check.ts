// The heart-cycle model with a segmentation fitted on the hand-corrected annotations instead of the
// product's fixed HSMM, beside a trained version's network (its mean window logits from
// validation-scores.json / held-out-scores.json, as refit-cycle-model.ts reads them). For each
// version directory given: the segmentation is fitted on that version's own training records (never
// its validation or held-out records), the cycle model is refitted with each segmentation on the same
// records, and the decision is refitted on the validation scores, as `heartbeat train` does.
//   npm exec -- node -r @swc-node/register research/cycle-segmentation-check.ts models/1.6.0 tmp/site-loso/folds/training-*
//     [--emission-only] [--aligned] [--product-only] [--weight 0.5] [--stride 10] [--iterations 150]
// --aligned adds alignedHeartCycleFeatures (systole and diastole in thirds, per band) to the 17 features.
// --crops 3,5 adds each training record's first 3 and 5 s as extra training rows (same label);
// --clips 2 also scores the validation records' first 2 s (the version's ONNX network on the clip
// plus the cycle model), at the decision fitted on the whole records.
// Prints, per directory, the cycle model alone (AUC) and beside the network (AUC, MAcc) with the
// product's segmentation and the fitted one; writes tmp/seg/cycle-check-<dir name>.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  ALIGNED_CYCLE_FEATURE_NAMES,
  alignedHeartCycleFeatures,
  heartSoundSpectrogram,
  median,
  segmentHeartSounds,
  type HeartSoundSegmentationModel,
} from '@heartbeat/audio';
import {
  binaryMetrics,
  cycleFeaturesOf,
  aggregateWindowLogits,
  DEFAULT_GRADIENT_BOOSTING,
  loadWindowClassifier,
  modelInputOfManifest,
  recordingWindows,
  fitGradientBoosting,
  predictLogit,
  discoverLabelledRecordings,
  readModelManifest,
  recordingScore,
  type LabelledRecording,
} from '@heartbeat/model';
import {
  annotatedFrames,
  DEFAULT_SEGMENTATION_FIT,
  fitDecision,
  fitSegmentationModelOnFrames,
  loadConditionedSignals,
  parseHeartCycleAnnotation,
  reportFor,
  splitOf,
  type RecordScoreRow,
} from '@heartbeat/model-training';

const root = join(__dirname, '..');
const data = process.env.HEARTBEAT_DATA ?? join(root, '../shared/data/physionet2016');
const option = (name: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;
const VALUED = new Set(['--weight', '--stride', '--iterations', '--crops', '--clips']);
const dirs = process.argv
  .slice(2)
  .filter((a, i, all) => !a.startsWith('--') && !VALUED.has(all[i - 1] ?? ''));
const weight = Number(option('--weight') ?? 0.5);
const fitOptions = {
  ...DEFAULT_SEGMENTATION_FIT,
  frameStride: Number(option('--stride') ?? 10),
  iterations: Number(option('--iterations') ?? 150),
  fitDurations: !process.argv.includes('--emission-only'),
};
const WINDOW = 128;
const aligned = process.argv.includes('--aligned');
const suffix = `${process.argv.includes('--emission-only') ? '-emission' : ''}${aligned ? '-aligned' : ''}${option('--crops') ? `-crops${option('--crops')}` : ''}`;

/** The cycle model's recipe (class-balanced gradient boosting, training medians for missing values) on any feature rows. */
function fitRows(rows: (Float64Array | null)[], labels: number[]): (row: Float64Array | null) => number {
  const width = rows.find((r) => r !== null)!.length;
  const medians = Array.from({ length: width }, (_, k) =>
    median(rows.filter((r) => r !== null && Number.isFinite(r[k])).map((r) => r![k])),
  );
  const impute = (row: Float64Array | null) =>
    row === null ? Float64Array.from(medians) : row.map((v, k) => (Number.isFinite(v) ? v : medians[k]));
  const positives = labels.filter((y) => y === 1).length;
  const weights = labels.map((y) => labels.length / (2 * (y === 1 ? positives : labels.length - positives)));
  const trees = fitGradientBoosting(rows.map(impute), labels, weights, DEFAULT_GRADIENT_BOOSTING);
  return (row) => predictLogit(trees, impute(row));
}

const ALIGNED_FEATURES = ALIGNED_CYCLE_FEATURE_NAMES.length;
const keyOf = (r: { subset: string; id: string }) => `${r.subset}/${r.id}`;
const annotationPath = (r: LabelledRecording) => join(dirname(r.path), 'segmentation', `${r.id}.csv`);

async function main(): Promise<void> {
  const recordings = discoverLabelledRecordings(data);
  const { loaded } = await loadConditionedSignals(recordings, { cacheDir: join(root, '.cache/conditioned') });
  const signals = new Map(loaded.map((c) => [keyOf(c.recording), c.signal]));
  const spectrograms = new Map(
    loaded.map((c) => [keyOf(c.recording), heartSoundSpectrogram(c.signal, WINDOW)]),
  );
  const annotations = new Map(
    recordings
      .filter((r) => existsSync(annotationPath(r)))
      .map((r) => [keyOf(r), parseHeartCycleAnnotation(readFileSync(annotationPath(r), 'utf8'))]),
  );
  const frames = new Map(
    [...annotations].map(([key, annotation]) => [
      key,
      annotatedFrames({ spectrogram: spectrograms.get(key)!, annotation }, fitOptions.frameStride),
    ]),
  );
  console.log(`${loaded.length} recordings, ${annotations.size} annotated; spectrograms ready`);
  const crops = (option('--crops') ?? '').split(',').filter(Boolean).map(Number);
  const clipSeconds = option('--clips') ? Number(option('--clips')) : undefined;
  const featuresWith = (
    set: LabelledRecording[],
    segmentation?: HeartSoundSegmentationModel,
    seconds?: number,
  ) =>
    set.map((r) => {
      const whole = signals.get(keyOf(r))!;
      const signal = seconds ? whole.subarray(0, seconds * 2000) : whole;
      const spectrogram = seconds ? heartSoundSpectrogram(signal, WINDOW) : spectrograms.get(keyOf(r))!;
      const segments = segmentHeartSounds(signal, spectrogram, segmentation);
      const base = cycleFeaturesOf(signal, WINDOW, spectrogram, segments);
      if (!aligned) return base;
      const extra = alignedHeartCycleFeatures(spectrogram, segments);
      return Float64Array.from([
        ...(base ?? new Array<number>(17).fill(NaN)),
        ...(extra ?? new Array<number>(ALIGNED_FEATURES).fill(NaN)),
      ]);
    });

  for (const dir of dirs) {
    const manifest = readModelManifest(dir);
    const split = splitOf(manifest, recordings);
    const annotatedTraining = split.training.filter((r) => annotations.has(keyOf(r)));
    const segmentation = fitSegmentationModelOnFrames(
      annotatedTraining.map((r) => frames.get(keyOf(r))!),
      annotatedTraining.map((r) => annotations.get(keyOf(r))!),
      fitOptions,
    );
    const byKey = new Map([...split.validation, ...split.heldOut].map((r) => [keyOf(r), r]));
    const networkScores = (file: string) =>
      existsSync(join(dir, file))
        ? (JSON.parse(readFileSync(join(dir, file), 'utf8')) as RecordScoreRow[]).map((row) => ({
            recording: byKey.get(keyOf(row))!,
            meanLogit: row.meanLogit,
            fileCycleLogit: row.cycleLogit,
          }))
        : [];
    const validation = networkScores('validation-scores.json');
    const heldOut = networkScores('held-out-scores.json');
    const labels = (set: { label: string }[]) => set.map((r) => (r.label === 'abnormal' ? 1 : 0));
    const result: Record<string, unknown> = {
      dir,
      training: split.training.length,
      annotatedTraining: annotatedTraining.length,
      segmentation,
    };
    for (const [name, seg] of [
      ['product', undefined],
      ...(process.argv.includes('--product-only') ? [] : ([['fitted', segmentation]] as const)),
    ] as const) {
      const model = fitRows(
        [...featuresWith(split.training, seg), ...crops.flatMap((c) => featuresWith(split.training, seg, c))],
        [...labels(split.training), ...crops.flatMap(() => labels(split.training))],
      );
      const logits = (set: typeof validation) =>
        featuresWith(
          set.map((s) => s.recording),
          seg,
        ).map((f) => model(f));
      const combine = (set: typeof validation, cycle: number[]) =>
        set.map((s, i) => ({
          recording: s.recording,
          cycleLogit: cycle[i],
          score: recordingScore(s.meanLogit, { logit: cycle[i], weight }),
        }));
      const validationScored = combine(validation, logits(validation));
      const heldOutScored = combine(heldOut, logits(heldOut));
      if (name === 'product') {
        const drift = Math.max(
          0,
          ...validation.map((s, i) => Math.abs((s.fileCycleLogit ?? NaN) - validationScored[i].cycleLogit)),
        );
        console.log(
          `${basename(dir)}: the product segmentation's cycle logits differ from the version's own by at most ${drift.toExponential(2)}`,
        );
      }
      const decision = fitDecision(validationScored, manifest.decision.thresholdRule ?? 'pooled-macc');
      const report = (set: typeof validationScored) =>
        set.length ? reportFor(set, decision.calibration, decision.threshold) : undefined;
      const cycleAlone = (set: typeof validationScored) =>
        set.length
          ? binaryMetrics(
              labels(set.map((s) => s.recording)),
              set.map((s) => 1 / (1 + Math.exp(-s.cycleLogit))),
              0.5,
            ).auc
          : undefined;
      const entry = {
        validation: report(validationScored),
        heldOut: report(heldOutScored),
        cycleAloneValidationAuc: cycleAlone(validationScored),
        cycleAloneHeldOutAuc: cycleAlone(heldOutScored),
      };
      result[name] = entry;
      if (clipSeconds) {
        const input = modelInputOfManifest(manifest);
        const classifier = await loadWindowClassifier(dir, { backend: 'onnx' });
        const clipCycle = featuresWith(
          validation.map((s) => s.recording),
          seg,
          clipSeconds,
        ).map((f) => model(f));
        const clipScores = [];
        for (const [i, s] of validation.entries()) {
          const windows = recordingWindows(
            signals.get(keyOf(s.recording))!.subarray(0, clipSeconds * 2000),
            input,
          );
          const meanLogit = aggregateWindowLogits(
            await classifier.predictLogits(windows.features, windows.windowCount),
          );
          clipScores.push({
            recording: s.recording,
            score: recordingScore(meanLogit, { logit: clipCycle[i], weight }),
          });
        }
        await classifier.dispose();
        const clip = reportFor(clipScores, decision.calibration, decision.threshold).overall;
        console.log(
          `  first ${clipSeconds} s: AUC ${clip.auc.toFixed(3)} MAcc ${clip.macc.toFixed(3)} (Se ${clip.sensitivity.toFixed(3)}, Sp ${clip.specificity.toFixed(3)})`,
        );
        (entry as Record<string, unknown>).clip = clip;
      }
      const f = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(3));
      console.log(
        `| ${basename(dir)} | ${name} | cycle alone: validation ${f(entry.cycleAloneValidationAuc)}, held out ${f(entry.cycleAloneHeldOutAuc)} | ` +
          `beside the network: validation AUC ${f(entry.validation?.overall.auc)} MAcc ${f(entry.validation?.overall.macc)} | held out AUC ${f(entry.heldOut?.overall.auc)} MAcc ${f(entry.heldOut?.overall.macc)} | ` +
          `validation per subset AUC ${Object.entries(entry.validation?.perSubset ?? {})
            .map(([s, m]) => `${s.slice(-1)} ${f(m.auc)}`)
            .join(', ')} |`,
      );
    }
    mkdirSync(join(root, 'tmp/seg'), { recursive: true });
    writeFileSync(
      join(root, `tmp/seg/cycle-check-${basename(dir)}${suffix}.json`),
      JSON.stringify(result, null, 1),
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
