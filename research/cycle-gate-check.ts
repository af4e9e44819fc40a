// Issue 29, fourteenth session: the aligned heart-cycle model (17 + 24 aligned features, variant 4 of
// the thirteenth session) with a fallback to the 17-feature model where a recording yields too few
// complete beats for the aligned thirds (short clips), and the two models' logits averaged. Beside a
// trained version's network (its mean window logits from validation-scores.json / held-out-scores.json,
// as refit-cycle-model.ts reads them): for each version directory given, both heart-cycle models are
// fitted on that version's own training records (the product's fitCycleModel, product segmentation),
// each variant's decision is refitted on the validation scores as `heartbeat train` does, and the
// held-out subset (a leave-one-subset-out fold) is scored at that decision.
//   npm exec -- node -r @swc-node/register research/cycle-gate-check.ts models/1.6.0 <fold dirs> [--clips]
// --clips also scores the validation records' first 2, 3 and 5 s (the version's ONNX network on the
// clip plus each variant's heart-cycle logit on the clip) at the decision fitted on whole records.
// Variant 12 (the last of the issue's twelve) is 7 with the threshold chosen by the site-balanced rule
// (the mean of the subsets' own MAcc on validation) instead of the version's pooled rule.
// Features (whole records and 2/3/5-s clips) are cached in tmp/research/cycle-gate/features.json;
// results go to tmp/research/cycle-gate/<dir name>.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  ALIGNED_CYCLE_FEATURE_NAMES,
  HEART_CYCLE_FEATURE_NAMES,
  HEART_SOUND_SPECTROGRAM,
  heartSoundSpectrogram,
  segmentHeartSounds,
  type HeartSoundSegment,
} from '@heartbeat/audio';
import {
  aggregateWindowLogits,
  cycleFeaturesOf,
  cycleModelLogit,
  discoverLabelledRecordings,
  fitCycleModel,
  loadWindowClassifier,
  modelInputOfManifest,
  readModelManifest,
  recordingScore,
  recordingWindows,
  type CycleModel,
  type LabelledRecording,
} from '@heartbeat/model';
import {
  fitDecision,
  loadConditionedSignals,
  reportFor,
  splitOf,
  type RecordScoreRow,
  type ThresholdRule,
} from '@heartbeat/model-training';

const root = join(__dirname, '..');
const data = process.env.HEARTBEAT_DATA ?? join(root, '../shared/data/physionet2016');
const cacheDir = process.env.HEARTBEAT_CACHE ?? join(root, '.cache/conditioned');
const out = join(root, 'tmp/research/cycle-gate');
const dirs = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const withClips = process.argv.includes('--clips');
const WINDOW = 128;
const WEIGHT = 0.5;
const CLIPS = [2, 3, 5] as const;
const BASE = HEART_CYCLE_FEATURE_NAMES.length;
const ALIGNED = ALIGNED_CYCLE_FEATURE_NAMES.length;
const keyOf = (r: { subset: string; id: string }) => `${r.subset}/${r.id}`;

/** 41 features (NaN where a part is missing, as cycleFeaturesOf 'cycle+aligned') or null, and the complete beats the aligned part had. */
interface Row {
  features: (number | null)[] | null;
  beats: number;
}
type Cache = Record<string, { whole: Row; clips: Record<string, Row> }>;

/** Complete S1-systole-S2-diastole-S1 beats the aligned thirds use (alignedHeartCycleFeatures' own test). */
function completeBeats(segments: readonly HeartSoundSegment[], frames: number): number {
  const step = HEART_SOUND_SPECTROGRAM.hopLength;
  const sounds = segments
    .filter((s) => (s.state === 'S1' || s.state === 'S2') && s.start > 0)
    .map((s) => ({ state: s.state, from: Math.round(s.start / step), to: Math.round(s.end / step) }));
  let beats = 0;
  for (let i = 0; i + 2 < sounds.length; i++) {
    const [s1, s2, next] = [sounds[i], sounds[i + 1], sounds[i + 2]];
    if (s1.state !== 'S1' || s2.state !== 'S2' || next.state !== 'S1') continue;
    if (s2.from - s1.to < 3 || next.from - s2.to < 3 || next.from > frames) continue;
    beats++;
  }
  return beats;
}

function rowOf(signal: Float32Array): Row {
  const spectrogram = heartSoundSpectrogram(signal, WINDOW);
  const segments = segmentHeartSounds(signal, spectrogram);
  const features = cycleFeaturesOf(signal, WINDOW, spectrogram, segments, 'cycle+aligned');
  return {
    features: features && Array.from(features, (v) => (Number.isFinite(v) ? v : null)),
    beats: completeBeats(segments, spectrogram.frames),
  };
}

const asFloat = (row: Row, part: 'base' | 'all'): Float64Array | null => {
  if (row.features === null) return null;
  const values = Float64Array.from(row.features, (v) => (v === null ? NaN : v));
  if (part === 'all') return values;
  const base = values.subarray(0, BASE);
  return base.every((v) => Number.isNaN(v)) ? null : Float64Array.from(base);
};
const alignedMissing = (row: Row) =>
  row.features === null || row.features.slice(BASE, BASE + ALIGNED).every((v) => v === null);

/** Least-squares a + b x. */
function linearFit(x: number[], y: number[]): { offset: number; scale: number } {
  const mx = x.reduce((s, v) => s + v, 0) / x.length;
  const my = y.reduce((s, v) => s + v, 0) / y.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  const scale = sxx > 0 ? sxy / sxx : 0;
  return { offset: my - scale * mx, scale };
}

interface Variant {
  logit: (row: Row) => number;
  weight: number;
  /** The threshold rule when not the version's own. */
  rule?: ThresholdRule;
}

/**
 * The variants: each maps a row to the heart-cycle logit added to the network's with its weight.
 * `match` puts the 17-feature model's logit on the 41-feature model's scale (a + b x, fitted on the
 * training records' out-of-fold logits of both), for the fallback of variant 9.
 */
function variants(
  base: CycleModel,
  all: CycleModel,
  match: { offset: number; scale: number },
): Record<string, Variant> {
  const b = (row: Row) => cycleModelLogit(base, asFloat(row, 'base'));
  const a = (row: Row) => cycleModelLogit(all, asFloat(row, 'all'));
  const gate =
    (minBeats: number, logit: (row: Row) => number, fallback = b) =>
    (row: Row) =>
      alignedMissing(row) || row.beats < minBeats ? fallback(row) : logit(row);
  const mean = (row: Row) => 0.5 * (a(row) + b(row));
  const matched = (row: Row) => match.offset + match.scale * b(row);
  return {
    '1.6.0 (17 features)': { logit: b, weight: WEIGHT },
    '4. aligned (41 features)': { logit: a, weight: WEIGHT },
    '7. aligned, 17 where the aligned part is missing': { logit: gate(0, a), weight: WEIGHT },
    '7b. aligned, 17 below 4 complete beats': { logit: gate(4, a), weight: WEIGHT },
    '8. mean of 17 and 41, 17 where the aligned part is missing': { logit: gate(0, mean), weight: WEIGHT },
    '9. aligned, scale-matched 17 where the aligned part is missing': {
      logit: gate(0, a, matched),
      weight: WEIGHT,
    },
    '10. as 7, weight 1': { logit: gate(0, a), weight: 1 },
    '12. as 7, site-balanced threshold': { logit: gate(0, a), weight: WEIGHT, rule: 'site-balanced-macc' },
  };
}

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  const recordings = discoverLabelledRecordings(data);
  const cacheFile = join(out, 'features.json');
  const cache: Cache = existsSync(cacheFile) ? (JSON.parse(readFileSync(cacheFile, 'utf8')) as Cache) : {};
  const missing = recordings.filter((r) => !cache[keyOf(r)]);
  if (missing.length > 0) {
    const { loaded } = await loadConditionedSignals(missing, { cacheDir });
    for (const [i, { recording, signal }] of loaded.entries()) {
      cache[keyOf(recording)] = {
        whole: rowOf(signal),
        clips: Object.fromEntries(CLIPS.map((s) => [s, rowOf(signal.subarray(0, s * 2000))])),
      };
      if (i % 250 === 0) console.log(`features ${i}/${loaded.length}`);
    }
    writeFileSync(cacheFile, JSON.stringify(cache));
  }
  const labelOf = (r: { label: string }) => (r.label === 'abnormal' ? 1 : 0);

  for (const dir of dirs) {
    const manifest = readModelManifest(dir);
    const split = splitOf(manifest, recordings);
    const training = split.training;
    const fit = (part: 'base' | 'all') =>
      fitCycleModel(
        training.map((r) => asFloat(cache[keyOf(r)].whole, part)),
        training.map(labelOf),
        WINDOW,
        undefined,
        part === 'base' ? 'cycle' : 'cycle+aligned',
      );
    const started = process.cpuUsage();
    // Out-of-fold logits of both models on the training records (5 folds by position), for the
    // fallback's scale match: the 41-feature logit regressed on the 17-feature one where both exist.
    const oofBase: number[] = [];
    const oofAll: number[] = [];
    for (let k = 0; k < 5; k++) {
      const inFold = training.filter((_, i) => i % 5 !== k);
      const outFold = training.filter((_, i) => i % 5 === k);
      const fitOn = (part: 'base' | 'all') =>
        fitCycleModel(
          inFold.map((r) => asFloat(cache[keyOf(r)].whole, part)),
          inFold.map(labelOf),
          WINDOW,
          undefined,
          part === 'base' ? 'cycle' : 'cycle+aligned',
        );
      const [mb, ma] = [fitOn('base'), fitOn('all')];
      for (const r of outFold) {
        const row = cache[keyOf(r)].whole;
        if (alignedMissing(row)) continue;
        oofBase.push(cycleModelLogit(mb, asFloat(row, 'base')));
        oofAll.push(cycleModelLogit(ma, asFloat(row, 'all')));
      }
    }
    const match = linearFit(oofBase, oofAll);
    const models = variants(fit('base'), fit('all'), match);
    const fitSeconds = (process.cpuUsage(started).user + process.cpuUsage(started).system) / 1e6;
    const byKey = new Map<string, LabelledRecording>(
      [...split.validation, ...split.heldOut].map((r) => [keyOf(r), r]),
    );
    const scores = (file: string) =>
      existsSync(join(dir, file))
        ? (JSON.parse(readFileSync(join(dir, file), 'utf8')) as RecordScoreRow[]).map((row) => ({
            recording: byKey.get(keyOf(row))!,
            meanLogit: row.meanLogit,
            fileCycleLogit: row.cycleLogit,
          }))
        : [];
    const validation = scores('validation-scores.json');
    const heldOut = scores('held-out-scores.json');
    let clipLogits: Record<string, Record<string, number>> | undefined;
    if (withClips) {
      const clipFile = join(out, `clip-network-${basename(dir)}.json`);
      if (existsSync(clipFile)) clipLogits = JSON.parse(readFileSync(clipFile, 'utf8'));
      else {
        const input = modelInputOfManifest(manifest);
        const classifier = await loadWindowClassifier(dir, { backend: 'onnx' });
        const { loaded } = await loadConditionedSignals(
          validation.map((s) => s.recording),
          { cacheDir },
        );
        clipLogits = {};
        for (const { recording, signal } of loaded) {
          clipLogits[keyOf(recording)] = {};
          for (const s of CLIPS) {
            const windows = recordingWindows(signal.subarray(0, s * 2000), input);
            clipLogits[keyOf(recording)][s] = aggregateWindowLogits(
              await classifier.predictLogits(windows.features, windows.windowCount),
            );
          }
        }
        await classifier.dispose();
        writeFileSync(clipFile, JSON.stringify(clipLogits));
      }
    }
    const result: Record<string, unknown> = {
      dir,
      training: training.length,
      fitCpuSeconds: fitSeconds,
      match,
    };
    console.log(
      `\n${dir}: ${training.length} training records, both models fitted in ${fitSeconds.toFixed(0)} s of CPU`,
    );
    for (const [name, { logit: model, weight, rule }] of Object.entries(models)) {
      const combine = (set: typeof validation) =>
        set.map((s) => {
          const cycleLogit = model(cache[keyOf(s.recording)].whole);
          return {
            recording: s.recording,
            cycleLogit,
            score: recordingScore(s.meanLogit, { logit: cycleLogit, weight }),
          };
        });
      const validationScored = combine(validation);
      const decision = fitDecision(
        validationScored,
        rule ?? manifest.decision.thresholdRule ?? 'pooled-macc',
      );
      const report = (set: typeof validationScored) =>
        set.length ? reportFor(set, decision.calibration, decision.threshold) : undefined;
      const entry: Record<string, unknown> = {
        threshold: decision.threshold,
        thresholdRule: decision.thresholdRule,
        validation: report(validationScored),
        heldOut: report(combine(heldOut)),
      };
      if (name.startsWith('1.6.0')) {
        const drift = Math.max(
          0,
          ...validation.map((s, i) => Math.abs((s.fileCycleLogit ?? NaN) - validationScored[i].cycleLogit)),
        );
        entry.driftFromFile = drift;
      }
      if (clipLogits) {
        const clips: Record<string, unknown> = {};
        for (const s of CLIPS) {
          const clipScored = validation.map((v) => ({
            recording: v.recording,
            score: recordingScore(clipLogits![keyOf(v.recording)][s], {
              logit: model(cache[keyOf(v.recording)].clips[s]),
              weight,
            }),
          }));
          clips[s] = reportFor(clipScored, decision.calibration, decision.threshold).overall;
        }
        entry.clips = clips;
      }
      result[name] = entry;
      const f = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(3));
      const v = entry.validation as ReturnType<typeof reportFor> | undefined;
      const h = entry.heldOut as ReturnType<typeof reportFor> | undefined;
      const c = entry.clips as Record<string, { auc: number; macc: number }> | undefined;
      console.log(
        `| ${name} | val AUC ${f(v?.overall.auc)} MAcc ${f(v?.overall.macc)} Se ${f(v?.overall.sensitivity)} Sp ${f(v?.overall.specificity)} thr ${decision.threshold.toFixed(3)} | ` +
          `ECE ${f(v?.overall.ece)} rule ${decision.thresholdRule} | per subset AUC/MAcc ${Object.entries(
            v?.perSubset ?? {},
          )
            .map(([s, m]) => `${s.slice(-1)} ${f(m.auc)}/${f(m.macc)}`)
            .join(', ')} | held out AUC ${f(h?.overall.auc)} MAcc ${f(h?.overall.macc)} |` +
          (c ? ` clips ${CLIPS.map((s) => `${s}s ${f(c[s].auc)}/${f(c[s].macc)}`).join(', ')} |` : '') +
          (entry.driftFromFile !== undefined
            ? ` drift ${(entry.driftFromFile as number).toExponential(1)}`
            : ''),
      );
    }
    writeFileSync(join(out, `${basename(dir)}.json`), JSON.stringify(result, null, 1));
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
