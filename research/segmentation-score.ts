// Scores heart-sound segmentations against the hand-corrected annotations of the shared data
// (../shared/data/physionet2016/training-x/segmentation/): S1 and S2 onsets within 60 ms, precision,
// recall and F1 per subset, and onsets put inside annotated noise (per second of it).
//   npm exec -- node -r @swc-node/register research/segmentation-score.ts                  # the product's HSMM
//   npm exec -- node -r @swc-node/register research/segmentation-score.ts --fit [--emission-only]
// --fit fits the emission (and duration) models on annotated recordings and scores them held out:
// leave-one-subset-out (fitted on the other subsets' training records, scored on every record of the
// subset) and in-distribution (fitted on the model split's training records, scored on its validation
// records). Validation records of the model's split are never fitted on. Writes tmp/seg/<name>.json.
// --card <modelDir> (the product's HSMM only) writes the per-subset table to the version's
// segmentation-score.json and rewrites its model card.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  heartSoundSpectrogram,
  segmentHeartSounds,
  type HeartSoundSegmentationModel,
  type HeartSoundSpectrogram,
} from '@heartbeat/audio';
import { discoverLabelledRecordings, type LabelledRecording } from '@heartbeat/model';
import {
  addSegmentationScores,
  developmentSplit,
  annotatedFrames,
  type AnnotatedFrames,
  DEFAULT_SEGMENTATION_FIT,
  fitSegmentationModelOnFrames,
  loadConditionedSignals,
  onsetMetrics,
  parseHeartCycleAnnotation,
  scoreSegmentation,
  SEGMENTATION_SCORE_FILE,
  writeModelCardFile,
  type HeartCycleAnnotation,
  type SegmentationScoreReport,
  type SegmentationScore,
} from '@heartbeat/model-training';

const root = join(__dirname, '..');
const data = process.env.HEARTBEAT_DATA ?? join(root, '../shared/data/physionet2016');
const argument = (name: string) => process.argv.includes(name);
const option = (name: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;
const SUBSETS = ['training-a', 'training-b', 'training-c', 'training-d', 'training-e'];
const windowLength = 128;

type Entry = { recording: LabelledRecording; annotation: HeartCycleAnnotation; validation: boolean };

function annotationPath(recording: LabelledRecording): string {
  return join(dirname(recording.path), 'segmentation', `${recording.id}.csv`);
}

async function main(): Promise<void> {
  const recordings = discoverLabelledRecordings(data);
  const validation = new Set(
    developmentSplit(recordings, { validationFraction: 0.2, seed: 2016 }).validation.map((r) => r.path),
  );
  const entries: Entry[] = recordings
    .filter((r) => existsSync(annotationPath(r)))
    .map((recording) => ({
      recording,
      annotation: parseHeartCycleAnnotation(
        readFileSync(annotationPath(recording), 'utf8'),
        annotationPath(recording),
      ),
      validation: validation.has(recording.path),
    }));
  console.log(`${entries.length} of ${recordings.length} recordings have annotations`);
  const signalOf = async (recording: LabelledRecording) =>
    (await loadConditionedSignals([recording], { cacheDir: join(root, '.cache/conditioned') })).loaded[0]
      .signal;

  // Every spectrogram once, and the fitting frames once (each fold fits on a different subset of them).
  const stride = Number(option('--stride') ?? DEFAULT_SEGMENTATION_FIT.frameStride);
  const options = {
    ...DEFAULT_SEGMENTATION_FIT,
    frameStride: stride,
    iterations: Number(option('--iterations') ?? DEFAULT_SEGMENTATION_FIT.iterations),
    fitDurations: !argument('--emission-only'),
  };
  const spectrograms = new Map<Entry, HeartSoundSpectrogram>();
  const frames = new Map<Entry, AnnotatedFrames>();
  for (const entry of entries) {
    const signal = await signalOf(entry.recording);
    const spectrogram = heartSoundSpectrogram(signal, windowLength);
    spectrograms.set(entry, spectrogram);
    if (argument('--fit') && !entry.validation)
      frames.set(entry, annotatedFrames({ spectrogram, annotation: entry.annotation }, stride));
  }
  console.log('spectrograms ready');
  const score = (subset: readonly Entry[], model?: HeartSoundSegmentationModel) =>
    addSegmentationScores(
      subset.map((entry) =>
        scoreSegmentation(
          entry.annotation,
          segmentHeartSounds(new Float32Array(0), spectrograms.get(entry)!, model),
        ),
      ),
    );
  const fit = (subset: readonly Entry[]) => {
    const started = performance.now();
    const model = fitSegmentationModelOnFrames(
      subset.map((e) => frames.get(e)!),
      subset.map((e) => e.annotation),
      options,
    );
    console.log(
      `  fitted on ${subset.length} recordings in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    return model;
  };

  const rows: Record<string, SegmentationScore> = {};
  const fitting = argument('--fit');
  const name =
    option('--name') ?? (fitting ? (argument('--emission-only') ? 'fitted-emission' : 'fitted') : 'product');
  for (const subset of SUBSETS) {
    const members = entries.filter((e) => e.recording.subset === subset);
    const model = fitting
      ? fit(entries.filter((e) => e.recording.subset !== subset && !e.validation))
      : undefined;
    rows[subset] = score(members, model);
    report(`${subset}${fitting ? ' (left out of fitting)' : ''}`, members.length, rows[subset]);
  }
  rows.all = addSegmentationScores(SUBSETS.map((s) => rows[s]));
  report('all', entries.length, rows.all);
  // In-distribution: the model split's validation records, fitted on its training records.
  const held = entries.filter((e) => e.validation);
  const model = fitting ? fit(entries.filter((e) => !e.validation)) : undefined;
  for (const subset of SUBSETS) {
    const members = held.filter((e) => e.recording.subset === subset);
    rows[`validation ${subset}`] = score(members, model);
    report(`validation ${subset}`, members.length, rows[`validation ${subset}`]);
  }
  rows.validation = addSegmentationScores(SUBSETS.map((s) => rows[`validation ${s}`]));
  report('validation', held.length, rows.validation);
  mkdirSync(join(root, 'tmp/seg'), { recursive: true });
  writeFileSync(join(root, `tmp/seg/${name}.json`), JSON.stringify({ rows, model }, null, 1));
  const cardDir = option('--card');
  if (cardDir && !fitting) {
    const count = (subset?: string) => entries.filter((e) => !subset || e.recording.subset === subset).length;
    const report: SegmentationScoreReport = {
      command: 'npm exec -- node -r @swc-node/register research/segmentation-score.ts --card ' + cardDir,
      rows: [...SUBSETS, 'all'].map((set) => {
        const score = rows[set];
        const both = onsetMetrics(score.S1, score.S2);
        return {
          set: set === 'all' ? '**all annotated**' : set,
          records: count(set === 'all' ? undefined : set),
          ...both,
          s1F1: onsetMetrics(score.S1).f1,
          s2F1: onsetMetrics(score.S2).f1,
          noisyOnsetsPerSecond: score.noisySeconds > 0 ? score.noisyOnsets / score.noisySeconds : 0,
        };
      }),
    };
    writeFileSync(join(cardDir, SEGMENTATION_SCORE_FILE), JSON.stringify(report, null, 1) + '\n');
    writeModelCardFile(cardDir);
  }
}

function report(label: string, records: number, score: SegmentationScore): void {
  const both = onsetMetrics(score.S1, score.S2);
  const f = (x: number) => x.toFixed(3);
  console.log(
    `| ${label} | ${records} | ${f(both.precision)} | ${f(both.recall)} | ${f(both.f1)} | ${f(onsetMetrics(score.S1).f1)} | ${f(onsetMetrics(score.S2).f1)} | ${score.noisySeconds > 0 ? (score.noisyOnsets / score.noisySeconds).toFixed(2) : '-'} |`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
