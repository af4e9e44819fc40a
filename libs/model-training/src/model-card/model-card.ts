// The model card: what the model was trained on, how it was measured, what it is for and its limits.
// Rendered from the numbers in the model directory, never typed by hand.
import type { BinaryMetrics, ModelManifest } from '@heartbeat/model';
import { renderResearchComparison, type ResearchComparisonReport } from './research-comparison';

export interface CardTrainingReport {
  bestEpoch: number;
  stoppedBecause: string;
  minutes: number;
  backend: string;
  validation: { overall: BinaryMetrics; perSubset: Record<string, BinaryMetrics> };
  counts: { training: number; validation: number; failedToDecode: number };
  datasetFingerprint: string;
}

export interface LeaveOneSubsetOutResult {
  subset: string;
  /** Threshold from the in-distribution validation split (what a new site gets out of the box). */
  heldOut: BinaryMetrics;
  /** The same network's validation figures on the subsets it did see. */
  inDistribution: BinaryMetrics;
  /** After site calibration on a few labelled local recordings, scored on the subset's other records. */
  siteCalibrated?: BinaryMetrics & { calibrationRecords: number };
  /** The model's own decision on those same other records, for a fair before/after. */
  beforeSiteCalibrationOnSameRecords?: BinaryMetrics;
  /** Why site calibration was refused (the ranking is inverted at that site). */
  siteCalibrationRefused?: string;
  /** The fold's training limit; absent in results collected before it was recorded (10 x 1,024). */
  trainingLength?: TrainingLength;
  /** Where the fold's training ended: its best epoch, and the epoch it stopped at and why. */
  stopped?: { bestEpoch: number; lastEpoch: number; because: string };
}

type Range = { mean: number; min: number; max: number };
type OperatingFigures = { sensitivity: Range; specificity: Range; macc: Range };

/** Site calibration measured on one leave-one-subset-out fold (scripts/model/site-operating-points.ts). */
export interface SiteOperatingPointsFold {
  subset: string;
  records: number;
  normal: number;
  abnormal: number;
  heldOutAuc: number;
  /** The fold network's validation sensitivity, which the site threshold keeps (less the margin). */
  baseSensitivity: number;
  labelled: { normal: number; abnormal: number };
  /** Records of the left-out database judged (not labelled). */
  judgedOn: number;
  seeds: number;
  /** Seeds whose fit was not refused. */
  fitted: number;
  refusals: Record<string, number>;
  uncalibratedAllSeeds: OperatingFigures;
  uncalibratedFittedSeeds: OperatingFigures;
  calibrated?: OperatingFigures;
  localOnLabelled?: { sensitivity: Range; specificity: Range };
  trials: unknown[];
}

export interface SiteOperatingPointsReport {
  method: string;
  foldNetworks: string[];
  /** How the fold networks were trained. */
  foldRecipe?: string;
  folds: SiteOperatingPointsFold[];
  /** The same with more labelled recordings per class, where the database has them. */
  moreLabels?: (Omit<SiteOperatingPointsFold, 'trials'> & { perClass: number })[];
}

export interface TrainingLength {
  epochs: number;
  windowsPerEpoch: number;
}

/** The training length recorded in a manifest's training parameters, when it is there. */
export function trainingLengthOf(manifest: ModelManifest): TrainingLength | undefined {
  const params = manifest.training?.params as Partial<TrainingLength> | undefined;
  if (typeof params?.epochs !== 'number' || typeof params.windowsPerEpoch !== 'number') return undefined;
  return { epochs: params.epochs, windowsPerEpoch: params.windowsPerEpoch };
}

/** Folds collected before their length was recorded all ran the LOSO script's default. */
const LEGACY_FOLD_LENGTH: TrainingLength = { epochs: 10, windowsPerEpoch: 1024 };

export interface ModelCardInput {
  manifest: ModelManifest;
  training: CardTrainingReport;
  leaveOneSubsetOut?: LeaveOneSubsetOutResult[];
  trainCommand: string;
  siteOperatingPoints?: SiteOperatingPointsReport;
  /** Analysis window (samples at 2 kHz) of the heart-cycle model's spectrogram, when the version has one. */
  cycleModelSpectrogramWindow?: number;
  /** The heart-cycle model's feature set (cycle-model.ts CYCLE_FEATURE_SETS), when the version has one. */
  cycleModelFeatureSet?: string;
  /** The heart-sound segmentation against hand-corrected annotations (segmentation-score.json), when measured. */
  segmentation?: SegmentationScoreReport;
  /** Validation records cut to their first seconds (short-clips.json), when measured. */
  shortClips?: ShortClipReport;
  /** The best candidate a research issue measured beside this version (research-comparison.json), when there is one. */
  research?: ResearchComparisonReport;
}

export interface SegmentationScoreReport {
  command: string;
  rows: {
    set: string;
    records: number;
    precision: number;
    recall: number;
    f1: number;
    s1F1: number;
    s2F1: number;
    noisyOnsetsPerSecond: number;
  }[];
}

export interface ShortClipReport {
  command: string;
  rows: { seconds: number; auc: number; macc: number; sensitivity: number; specificity: number }[];
}

function renderSegmentation(report?: SegmentationScoreReport): string {
  if (!report || report.rows.length === 0) return 'Not measured for this version.';
  return [
    'S1 and S2 onsets found within 60 ms of the hand-corrected annotations of the development data (Liu et al. 2016;',
    'Springer et al. report F1 about 0.96 for their HSMM on this data); onsets put inside annotated noise are counted per second of it.',
    '',
    '| set | records | precision | recall | F1 | S1 F1 | S2 F1 | onsets per second of noise |',
    '|---|---|---|---|---|---|---|---|',
    ...report.rows.map(
      (r) =>
        `| ${r.set} | ${r.records} | ${fmt(r.precision)} | ${fmt(r.recall)} | ${fmt(r.f1)} | ${fmt(r.s1F1)} | ${fmt(r.s2F1)} | ${r.noisyOnsetsPerSecond.toFixed(2)} |`,
    ),
    '',
    `\`${report.command}\``,
  ].join('\n');
}

function renderShortClips(report?: ShortClipReport): string {
  if (!report || report.rows.length === 0) return 'Not measured for this version.';
  return [
    "The validation records cut to their first seconds, screened with the version's own threshold.",
    '',
    '| first seconds | AUC | MAcc | sensitivity | specificity |',
    '|---|---|---|---|---|',
    ...report.rows.map(
      (r) =>
        `| ${r.seconds} | ${fmt(r.auc)} | ${fmt(r.macc)} | ${fmt(r.sensitivity)} | ${fmt(r.specificity)} |`,
    ),
    '',
    `\`${report.command}\``,
  ].join('\n');
}

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '-');

function metricsTable(rows: [string, BinaryMetrics][]): string {
  const lines = [
    '| set | records | abnormal | MAcc | AUC | sensitivity | specificity | F1 | accuracy | ECE |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [name, m] of rows) {
    lines.push(
      `| ${name} | ${m.count} | ${m.positives} | ${fmt(m.macc)} | ${fmt(m.auc)} | ${fmt(m.sensitivity)} | ${fmt(m.specificity)} | ${fmt(m.f1)} | ${fmt(m.accuracy)} | ${fmt(m.ece)} |`,
    );
  }
  return lines.join('\n');
}

const THRESHOLD_RULES = {
  'site-balanced-macc':
    "threshold chosen on validation to maximise the mean of the subsets' own MAcc, each subset counting the same, " +
    'so that it does not lean on how common abnormal recordings are in each training database',
  'pooled-macc': 'threshold chosen on validation to maximise the MAcc of all validation records pooled',
} as const;

/**
 * The LOSO script with the training command's input option, plus its length options when the folds
 * trained as long as the shipped model, so the folds are reproducible as run.
 */
function leaveOneSubsetOutCommand(trainCommand: string, fullLength: boolean): string {
  const option = (name: string) => new RegExp(`--${name}\\s+(\\S+)`).exec(trainCommand)?.[1];
  const args = [
    ...(['input', 'normalisation', 'cycle-model-weight'] as const)
      .filter((name) => option(name))
      .map((name) => `--${name} ${option(name)}`),
    ...(fullLength
      ? ['epochs', 'windows-per-epoch', 'max-minutes']
          .filter((name) => option(name))
          .map((name) => `--${name} ${option(name)}`)
      : []),
  ];
  return `${args.length > 0 ? `HEARTBEAT_TRAIN_ARGS="${args.join(' ')}" ` : ''}bash scripts/model/leave-one-subset-out.sh <modelDir>`;
}

const windows = (n: number) => n.toLocaleString('en-US');

/** "; training-a stopped at epoch 18 (best 10), ..." for the folds whose training ended early. */
function stoppedEarly(folds: LeaveOneSubsetOutResult[]): string {
  const early = folds.filter((fold) => fold.stopped && fold.stopped.because !== 'epochs');
  if (early.length === 0) return '';
  return `; ${early.map((fold) => `${fold.subset} stopped at epoch ${fold.stopped!.lastEpoch} (best ${fold.stopped!.bestEpoch}, ${fold.stopped!.because})`).join(', ')}`;
}

/** The sentence on how long the folds trained next to the shipped model. */
function foldLengthSentence(
  folds: LeaveOneSubsetOutResult[],
  manifest: ModelManifest,
  trainCommand: string,
): string {
  const shipped = trainingLengthOf(manifest);
  const lengths = folds.map((fold) => fold.trainingLength ?? LEGACY_FOLD_LENGTH);
  const same = lengths.every(
    (l) => l.epochs === lengths[0].epochs && l.windowsPerEpoch === lengths[0].windowsPerEpoch,
  );
  const { epochs, windowsPerEpoch } = lengths[0];
  const fullLength =
    same && shipped !== undefined && epochs === shipped.epochs && windowsPerEpoch === shipped.windowsPerEpoch;
  const command = leaveOneSubsetOutCommand(trainCommand, fullLength);
  if (fullLength)
    return `Each fold trains with the shipped model's settings (up to ${epochs} epochs of ${windows(windowsPerEpoch)} windows and the same early stopping${stoppedEarly(folds)},\n\`${command}\`) and the same features and augmentation, once per fold:`;
  const described = same
    ? `${epochs} epochs of ${windows(windowsPerEpoch)} windows`
    : 'lengths differ between folds, see leave-one-subset-out.json';
  return `Each fold trains for less time than the shipped model (${described},\n\`${command}\`) with the same features and augmentation, once per fold:`;
}

/** " (25-400 Hz, a frame every 40 ms)" from the manifest's feature config, when it states them. */
function featureRange(manifest: ModelManifest): string {
  const { fMin, fMax, hopLength, sampleRate } = manifest.input.featureConfig as Record<string, unknown>;
  if (
    typeof fMin !== 'number' ||
    typeof fMax !== 'number' ||
    typeof hopLength !== 'number' ||
    typeof sampleRate !== 'number'
  )
    return '';
  return ` (${fMin}-${fMax} Hz, a frame every ${Math.round((1000 * hopLength) / sampleRate)} ms)`;
}

function cycleModelSentence(
  manifest: ModelManifest,
  spectrogramWindow: number | undefined,
  featureSet?: string,
): string {
  if (!manifest.artifacts.cycleModel) return '';
  const window = spectrogramWindow
    ? ` of a mel spectrogram (a frame every 20 ms, a ${(1000 * spectrogramWindow) / 2000}-ms window${
        spectrogramWindow === 128 ? ": every frame the network's windows need, so it is computed once" : ''
      })`
    : '';
  return (
    '\n- Heart-cycle model: each recording is segmented into S1, systole, S2 and diastole (a duration-dependent\n' +
    `  hidden semi-Markov model on the frame energy${window}, after Springer et al. 2016); 17 features relative to the\n` +
    '  cycle (per band 25-400 Hz: energy in systole and diastole against the heart sounds and each other; rhythm)\n' +
    (featureSet === 'cycle+aligned'
      ? "  and 24 that line the beats up (every beat's systole and diastole cut into thirds of their own length; per band,\n" +
        "  each third's power against the same beat's S1 and S2; medians over the beats)\n"
      : '') +
    '  feed gradient-boosted trees (150 trees of up to 31 leaves, classes balanced), fitted on the same training\n' +
    '  recordings. Ratios within a recording travel across stethoscopes better than the network: on the research\n' +
    '  replica it raised the held-out AUC of training-d and training-e and lowered training-b (research/MODEL_RESEARCH.md).'
  );
}

const span = (r: Range) => `${fmt(r.mean)} (${fmt(r.min)}-${fmt(r.max)})`;

function moreLabelsTable(report: SiteOperatingPointsReport): string[] {
  const rows = report.moreLabels ?? [];
  if (rows.length === 0) return [];
  return [
    '',
    'With more labelled recordings (same seeds, where the database has that many of each class):',
    '',
    '| left-out database | labelled per class | fits | own threshold: Se / Sp / MAcc | site operating point: Se / Sp / MAcc |',
    '|---|---|---|---|---|',
    ...rows.map((r) => {
      const own = r.fitted > 0 ? r.uncalibratedFittedSeeds : r.uncalibratedAllSeeds;
      const site = r.calibrated;
      return `| ${r.subset} | ${r.perClass} | ${r.fitted}/${r.seeds} | ${fmt(own.sensitivity.mean)} / ${fmt(own.specificity.mean)} / ${fmt(own.macc.mean)} | ${
        site ? `${span(site.sensitivity)} / ${span(site.specificity)} / ${span(site.macc)}` : 'none fitted'
      } |`;
    }),
  ];
}

function renderSiteOperatingPoints(report?: SiteOperatingPointsReport): string {
  if (!report || report.folds.length === 0) return 'Not measured for this version.';
  const rows = report.folds.map((r) => {
    const refused = Object.entries(r.refusals)
      .map(([code, n]) => `${n} ${code}`)
      .join(', ');
    const fitted = `${r.fitted}/${r.seeds}${refused ? ` (refused: ${refused})` : ''}`;
    const own = r.fitted > 0 ? r.uncalibratedFittedSeeds : r.uncalibratedAllSeeds;
    const site = r.calibrated;
    return `| ${r.subset} | ${r.records} (${r.normal} normal) | ${fmt(r.heldOutAuc)} | ${r.labelled.normal} + ${r.labelled.abnormal} | ${fitted} | ${fmt(own.sensitivity.mean)} / ${fmt(own.specificity.mean)} / ${fmt(own.macc.mean)} | ${
      site ? `${span(site.sensitivity)} / ${span(site.specificity)} / ${span(site.macc)}` : 'none fitted'
    } |`;
  });
  return [
    'A site labels a few local recordings; the product fits a calibration on top of the model and a threshold that keeps',
    "sensitivity first: the highest threshold that still detects n x target + sqrt(n x target x (1 - target)) of the site's n abnormal",
    "records (target = the network's validation sensitivity - 0.05), on all the labelled records; it refuses when they are",
    'one-class or too few, or when the ranking is inverted or not above chance (AUC lower bound). Each row takes a fold network',
    `that never saw the database (trained as below; its own held-out AUC in the third column) and labels ${report.method}; figures are on the database's other`,
    "records: Se / Sp / MAcc with the fold network's own threshold and with the site's operating point (mean and range",
    'over the seeds whose fit was not refused; the own-threshold column averages the same seeds, or all when none fitted).',
    '',
    '| left-out database | records | held-out AUC | labelled (normal + abnormal) | fits | own threshold: Se / Sp / MAcc | site operating point: Se / Sp / MAcc |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    ...moreLabelsTable(report),
    '',
    `Fold networks${report.foldRecipe ? ` (${report.foldRecipe})` : ''}: ${report.foldNetworks.join(', ')}; \`bash scripts/model/site-operating-points.sh <modelDir>\` reproduces the tables.`,
  ].join('\n');
}

export function renderModelCard(input: ModelCardInput): string {
  const { manifest, training } = input;
  const thresholdRule = THRESHOLD_RULES[manifest.decision.thresholdRule ?? 'pooled-macc'];
  const augmentation = (
    manifest.training?.params as { augmentation?: { syntheticMurmurProbability?: number } } | undefined
  )?.augmentation;
  const syntheticMurmurs = augmentation?.syntheticMurmurProbability ?? 0;
  const refit = manifest.training as
    { decisionRefittedFrom?: string; decisionRefitCommand?: string } | undefined;
  const cycleRefit = manifest.training as
    { cycleModelRefittedFrom?: string; cycleModelRefitCommand?: string } | undefined;
  const cycleRefitSentence = cycleRefit?.cycleModelRefittedFrom
    ? `\nThe network is version ${cycleRefit.cycleModelRefittedFrom}'s (the command above); this version fits the heart-cycle model again on the\nsame training records and refits the decision on the same validation scores:\n\n\`\`\`\n${cycleRefit.cycleModelRefitCommand ?? ''}\n\`\`\`\n`
    : '';
  const refitSentence =
    cycleRefitSentence +
    (refit?.decisionRefittedFrom
      ? `\nThe network is version ${refit.decisionRefittedFrom}'s; this version refits only the decision (calibration and threshold) on\nthe same validation scores:\n\n\`\`\`\n${refit.decisionRefitCommand ?? ''}\n\`\`\`\n`
      : '');
  const syntheticMurmurSentence =
    syntheticMurmurs > 0
      ? `\n${Math.round(syntheticMurmurs * 100)} % of the abnormal training windows are normal recordings of any database with a synthetic murmur\n` +
        '(band-limited noise between the heart sounds), so that abnormal examples come from every stethoscope.'
      : '';
  const validationRows: [string, BinaryMetrics][] = [
    ...Object.entries(training.validation.perSubset),
    ['**overall**', training.validation.overall],
  ];
  const loso = input.leaveOneSubsetOut ?? [];
  const losoSection =
    loso.length === 0
      ? 'Not measured for this version.'
      : [
          `Each row trains a network${manifest.artifacts.cycleModel ? ' and its heart-cycle model' : ''} without one subset (its own validation split chosen from the other subsets),`,
          'then screens every record of the left-out subset with the threshold chosen on the other subsets.',
          'This is what a new hospital with a different stethoscope gets before any site calibration.',
          '',
          '| left-out subset | records | AUC | MAcc | sensitivity | specificity | in-distribution AUC | in-distribution MAcc |',
          '|---|---|---|---|---|---|---|---|',
          ...loso.map(
            (r) =>
              `| ${r.subset} | ${r.heldOut.count} | ${fmt(r.heldOut.auc)} | ${fmt(r.heldOut.macc)} | ${fmt(r.heldOut.sensitivity)} | ${fmt(r.heldOut.specificity)} | ${fmt(r.inDistribution.auc)} | ${fmt(r.inDistribution.macc)} |`,
          ),
          '',
          foldLengthSentence(loso, manifest, input.trainCommand),
          'retraining the same recipe with other seeds moved the held-out AUC by up to 0.3 on training-e and',
          '0.05 on training-d (research/MODEL_RESEARCH.md), so read those two rows as a range, not a point.',
          'What site calibration makes of these databases is in the next section.',
        ].join('\n');
  const siteSection = renderSiteOperatingPoints(input.siteOperatingPoints);
  return `# Model card: ${manifest.name} ${manifest.version}

Created ${manifest.createdAt}. Decision support only: it flags recordings for a cardiologist to review
and does not diagnose.

## What it does
Screens a phonocardiogram (heart sound recording) and answers \`normal\`, \`abnormal\` or \`unsure\`
(signal quality below ${manifest.decision.minimumQuality}), with a calibrated probability of abnormal.

- Input: any recording of 2 s or more (WAV, FLAC, MP3, OGG, WFDB), resampled to ${manifest.input.sampleRate} Hz,
  band-passed 25-400 Hz, cut into ${manifest.input.windowSeconds}-s windows every ${manifest.input.hopSeconds} s
  (clips shorter than a window are repeated to fill it).
- Features: ${manifest.input.melBands}-band log-mel spectrogram${featureRange(manifest)}, ${manifest.input.frames} frames per window, each window
  normalised per band (${
    manifest.input.normalisation === 'per-window-heart-sound-band-mean-and-std'
      ? "the mean over its S1 and S2 frames removed, so the heart sounds calibrate each band; the heart-cycle segmentation below finds them; a stethoscope's frequency response is a per-band offset in the log domain"
      : "mean removed: a stethoscope's frequency response is a per-band offset in the log domain"
  })
  and by its standard deviation.
- Network: a compact CNN (5 conv blocks of conv3x3, batch norm, ReLU, max pool; global average pooling;
  dense logit), about 80k parameters. The record's score is the mean of its window logits${
    manifest.decision.cycleModelWeight
      ? ` plus ${manifest.decision.cycleModelWeight} x the heart-cycle model's logit`
      : ''
  }, calibrated by Platt
  scaling (slope ${manifest.decision.calibration.slope.toFixed(3)}, intercept ${manifest.decision.calibration.intercept.toFixed(3)});
  abnormal when the probability is at least ${manifest.decision.threshold.toFixed(3)} (${thresholdRule}).${cycleModelSentence(manifest, input.cycleModelSpectrogramWindow, input.cycleModelFeatureSet)}
- Artifacts: \`${manifest.artifacts.tfjs}\` (TensorFlow.js), \`${manifest.artifacts.onnx ?? 'model.onnx'}\` (ONNX, the serving default),${
    manifest.artifacts.cycleModel ? ` \`${manifest.artifacts.cycleModel}\` (heart-cycle model),` : ''
  }
  \`metrics.json\`, \`heartbeat-model.json\`.

## Data
PhysioNet/CinC Challenge 2016 training set, development part (2,656 recordings, subsets training-a to
training-e; Liu C. et al., Physiol. Meas. 37(12):2181-2213, 2016; PhysioNet, ODC-By 1.0). A stratified
20 % of every (subset, label) group is held out as validation (seed ${String((manifest.training?.params as { seed?: number } | undefined)?.seed ?? '')}); training used
${training.counts.training} recordings (fingerprint \`${training.datasetFingerprint}\`), validation ${training.counts.validation}.
Training windows are drawn label-balanced, each (subset, label) group weighted by the square root of its
size, with augmentation that imitates other devices and patients: random crop, time stretch (±15 %), short clips repeated to fill the window (15 %), random
low-pass, high-pass or peaking EQ, noise at 10-35 dB SNR, gain, and frequency masking.${syntheticMurmurSentence}

## Training
Backend ${training.backend}; best epoch ${training.bestEpoch} (stopped by ${training.stoppedBecause}), ${training.minutes.toFixed(1)} minutes
on a 2-core machine. Reproduce with:

\`\`\`
${input.trainCommand}
\`\`\`
${refitSentence}
## Validation (own split of the development data)
Threshold ${manifest.decision.threshold.toFixed(3)}, quality gate not applied to these figures.

${metricsTable(validationRows)}

## Generalisation to an unseen database (leave one subset out)
${losoSection}

## Site operating points (site calibration on a database the model never saw)
${siteSection}

## Heart-sound segmentation
${renderSegmentation(input.segmentation)}

## Short clips
${renderShortClips(input.shortClips)}
${input.research ? `\n## Research: the best candidates beside this version\n${renderResearchComparison(input.research)}\n` : ''}
## Intended use and limits
- Intended: to prioritise heart sound recordings for review by a clinician, in adults and children, at sites
  whose recordings resemble the PhysioNet 2016 databases.
- Not intended: diagnosis, or use without a clinician's review. It has not been validated prospectively.
- A new site's stethoscope and population shift the operating point: the ranking (AUC) travels better than
  the threshold. Calibrate the threshold on a few dozen labelled local recordings (site calibration) before
  relying on the labels at a new site. The validation table shows why: one threshold for all five databases
  leaves low specificity in the subsets where abnormal recordings are common.
- Recordings that are mostly noise, speech or rubbing get a low quality score and the answer \`unsure\`.
- Training data labels are normal vs abnormal only; the model does not name the lesion.
`;
}
