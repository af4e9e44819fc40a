// Site calibration: a hospital's stethoscope and population shift the operating point, so a site
// gets its own decision on top of whichever model is promoted, fitted on its labelled recordings
// while the network's weights stay as they are. A screening tool cannot trade missed abnormal
// recordings for specificity, so the fit keeps sensitivity first: its threshold is the highest one
// that still detects enough of the site's abnormal recordings, with room for how few they are.
import type { HeartSoundLabel } from '../data/labelled-recordings';
import { areaUnderRoc, type BinaryMetrics, binaryMetrics } from '../metrics/binary-metrics';
import { seededRandom, shuffleInPlace } from '../data/random';
import { type Calibration, type DecisionPolicy, fitPlattCalibration, sigmoid } from './record-decision';

export interface ScoredRecord {
  id: string;
  label: HeartSoundLabel;
  /** What the model's calibration reads (recordingScore). */
  score: number;
}

/**
 * A site's decision on top of a model: p_site = sigmoid(slope * logit(p_model) + intercept), and
 * abnormal when p_site >= threshold. It reads the model's calibrated logit, not its raw score, so
 * it stays meaningful when a newly promoted model (calibrated on the same scale) takes over.
 */
export interface SiteOperatingPoint {
  slope: number;
  intercept: number;
  threshold: number;
}

export interface SiteFitOptions {
  /** The model's own sensitivity (its validation figure): what the site's threshold must keep. */
  baseSensitivity: number;
  /** How far below baseSensitivity the site's sensitivity may go (default 0.05). */
  sensitivityMargin?: number;
  /**
   * Standard errors of room above the target: with n abnormal records the threshold must detect
   * n*target + z*sqrt(n*target*(1-target)) of them (default 1), so few records mean a safer threshold.
   */
  confidenceZ?: number;
  minRecords?: number;
  minPerClass?: number;
}

export const SITE_CALIBRATION_DEFAULTS = {
  sensitivityMargin: 0.05,
  confidenceZ: 1,
  minRecords: 20,
  minPerClass: 5,
} as const;

/** One-sided 95 %: the lower bounds reported with the local figures. */
const LOWER_BOUND_Z = 1.645;

export type SiteCalibrationRefusalCode =
  'SITE_RECORDS_ONE_CLASS' | 'SITE_RECORDS_TOO_FEW' | 'SITE_RANKING_INVERTED' | 'SITE_RANKING_TOO_WEAK';

export class SiteCalibrationError extends Error {
  constructor(
    readonly code: SiteCalibrationRefusalCode,
    message: string,
    /** The local figures that led to the refusal, when the records got that far. */
    readonly figures?: Partial<SiteFitFigures>,
  ) {
    super(message);
    this.name = 'SiteCalibrationError';
  }
}

/** Everything the fit measured on the site's records (all of them: resubstitution figures). */
export interface SiteFitFigures {
  records: number;
  normal: number;
  abnormal: number;
  /** How well the model ranks the site's records, with a one-sided 95 % lower bound (Hanley-McNeil). */
  auc: number;
  aucLowerBound: number;
  targetSensitivity: number;
  /** Abnormal records the threshold had to detect. */
  requiredDetected: number;
  sensitivity: number;
  specificity: number;
  /** One-sided 95 % Wilson lower bounds of the local sensitivity and specificity. */
  sensitivityLowerBound: number;
  specificityLowerBound: number;
  /** The model's own decision on the same records. */
  modelSensitivity: number;
  modelSpecificity: number;
}

export interface SiteFit {
  decision: SiteOperatingPoint;
  figures: SiteFitFigures;
}

/** A site's record: its label and the model's calibrated logit, logit(p_model). */
export interface SiteRecord {
  label: HeartSoundLabel;
  logit: number;
}

export function modelLogit(score: number, calibration: Calibration): number {
  return calibration.slope * score + calibration.intercept;
}

/** The decision a site's requests get: the model's quality gate, the site's calibration and threshold. */
export function siteDecisionPolicy(model: DecisionPolicy, site: SiteOperatingPoint): DecisionPolicy {
  // sigmoid(s * (m * score + c) + i): the two linear maps compose into one calibration of the score.
  return {
    calibration: {
      slope: site.slope * model.calibration.slope,
      intercept: site.slope * model.calibration.intercept + site.intercept,
    },
    threshold: site.threshold,
    minimumQuality: model.minimumQuality,
  };
}

/** Refuses before any scoring when the labels alone cannot support a fit (also used at submission). */
export function checkSiteRecordCounts(
  counts: { normal: number; abnormal: number },
  options: Pick<SiteFitOptions, 'minRecords' | 'minPerClass'> = {},
): void {
  const minRecords = options.minRecords ?? SITE_CALIBRATION_DEFAULTS.minRecords;
  const minPerClass = options.minPerClass ?? SITE_CALIBRATION_DEFAULTS.minPerClass;
  const { normal, abnormal } = counts;
  if (normal === 0 || abnormal === 0)
    throw new SiteCalibrationError(
      'SITE_RECORDS_ONE_CLASS',
      `The site has ${normal} normal and ${abnormal} abnormal labelled recordings; a calibration needs both: upload at least ${minPerClass} of each (${minRecords} in all).`,
      { normal, abnormal, records: normal + abnormal },
    );
  if (normal < minPerClass || abnormal < minPerClass || normal + abnormal < minRecords)
    throw new SiteCalibrationError(
      'SITE_RECORDS_TOO_FEW',
      `The site has ${normal} normal and ${abnormal} abnormal labelled recordings; a calibration needs at least ${minPerClass} of each and ${minRecords} in all (30, half of each class, is what the model card measured).`,
      { normal, abnormal, records: normal + abnormal },
    );
}

/** One-sided Wilson score lower bound of a proportion of k in n. */
export function wilsonLowerBound(k: number, n: number, z = LOWER_BOUND_Z): number {
  if (n === 0) return 0;
  const p = k / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return Math.max(0, (centre - spread) / (1 + z2 / n));
}

/** Hanley and McNeil's standard error of an AUC from positives and negatives. */
export function aucStandardError(auc: number, positives: number, negatives: number): number {
  const q1 = auc / (2 - auc);
  const q2 = (2 * auc * auc) / (1 + auc);
  const variance =
    (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) /
    (positives * negatives);
  return Math.sqrt(Math.max(0, variance));
}

/**
 * Fits a site's operating point on all its labelled records. Refuses (SiteCalibrationError) when
 * the records are too few or one-class, when the model ranks the site's abnormal recordings below
 * its normal ones (calibrating by turning the scores upside down would hide a model that does not
 * work there), or when the ranking is too weak to tell from chance on this many records.
 */
export function fitSiteOperatingPoint(records: readonly SiteRecord[], options: SiteFitOptions): SiteFit {
  const abnormalLogits = records.filter((r) => r.label === 'abnormal').map((r) => r.logit);
  const normalLogits = records.filter((r) => r.label === 'normal').map((r) => r.logit);
  const counts = { normal: normalLogits.length, abnormal: abnormalLogits.length };
  checkSiteRecordCounts(counts, options);
  const labels = records.map((r) => (r.label === 'abnormal' ? 1 : 0));
  const logits = records.map((r) => r.logit);
  const auc = areaUnderRoc(labels, logits);
  const aucLowerBound = auc - LOWER_BOUND_Z * aucStandardError(auc, counts.abnormal, counts.normal);
  const { slope, intercept } = fitPlattCalibration(logits, labels);
  const base = { records: records.length, ...counts, auc, aucLowerBound };
  if (auc < 0.5 || !(slope > 0))
    throw new SiteCalibrationError(
      'SITE_RANKING_INVERTED',
      `At this site the model scores abnormal recordings lower than normal ones (AUC ${auc.toFixed(2)} on ${records.length} records): ` +
        'calibration cannot repair that. Do not use this model at this site; retrain with its recordings instead.',
      base,
    );
  if (!(aucLowerBound > 0.5))
    throw new SiteCalibrationError(
      'SITE_RANKING_TOO_WEAK',
      `On this site's ${records.length} records the model ranks abnormal above normal only weakly (AUC ${auc.toFixed(2)}, 95 % lower bound ${aucLowerBound.toFixed(2)}, not above chance): ` +
        'a threshold fitted on it would not carry over. Label more local recordings, or retrain with them.',
      base,
    );

  const margin = options.sensitivityMargin ?? SITE_CALIBRATION_DEFAULTS.sensitivityMargin;
  const z = options.confidenceZ ?? SITE_CALIBRATION_DEFAULTS.confidenceZ;
  const targetSensitivity = Math.min(1, Math.max(0, options.baseSensitivity - margin));
  const n = counts.abnormal;
  const requiredDetected = Math.min(
    n,
    Math.max(
      1,
      Math.ceil(
        n * targetSensitivity + z * Math.sqrt(n * targetSensitivity * (1 - targetSensitivity)) - 1e-9,
      ),
    ),
  );
  // Site logits are monotone in the model's logit (slope > 0), so thresholds can be placed on them.
  const siteLogit = (logit: number) => slope * logit + intercept;
  const sortedAbnormal = abnormalLogits.map(siteLogit).sort((a, b) => b - a);
  const cut = sortedAbnormal[requiredDetected - 1]!;
  const below = logits.map(siteLogit).filter((s) => s < cut);
  // Half-way to the next record below, so a new recording scored like the last detected one is detected too.
  const thresholdLogit = below.length > 0 ? (cut + Math.max(...below)) / 2 : cut - 0.5;
  const decision: SiteOperatingPoint = { slope, intercept, threshold: sigmoid(thresholdLogit) };

  const detected = abnormalLogits.filter((l) => siteLogit(l) >= thresholdLogit).length;
  const cleared = normalLogits.filter((l) => siteLogit(l) < thresholdLogit).length;
  return {
    decision,
    figures: {
      ...base,
      targetSensitivity,
      requiredDetected,
      sensitivity: detected / n,
      specificity: cleared / counts.normal,
      sensitivityLowerBound: wilsonLowerBound(detected, n),
      specificityLowerBound: wilsonLowerBound(cleared, counts.normal),
      modelSensitivity: Number.NaN,
      modelSpecificity: Number.NaN,
    },
  };
}

/** fitSiteOperatingPoint from scored records and the model's decision, with the model's own local figures beside. */
export function fitSiteOperatingPointOnScores(
  records: readonly ScoredRecord[],
  model: Pick<DecisionPolicy, 'calibration' | 'threshold'>,
  options: SiteFitOptions,
): SiteFit {
  const fit = fitSiteOperatingPoint(
    records.map((r) => ({ label: r.label, logit: modelLogit(r.score, model.calibration) })),
    options,
  );
  const own = metricsWithDecision([...records], model);
  return {
    decision: fit.decision,
    figures: { ...fit.figures, modelSensitivity: own.sensitivity, modelSpecificity: own.specificity },
  };
}

export function metricsWithDecision(
  records: ScoredRecord[],
  decision: Pick<DecisionPolicy, 'calibration' | 'threshold'>,
): BinaryMetrics {
  return binaryMetrics(
    records.map((r) => (r.label === 'abnormal' ? 1 : 0)),
    records.map((r) => sigmoid(modelLogit(r.score, decision.calibration))),
    decision.threshold,
  );
}

/**
 * Draws a site's labelled records: up to `perClass` of each label, leaving at least a third of each
 * label out so the rest can judge the fit.
 */
export function drawSiteRecords(
  records: readonly ScoredRecord[],
  perClass: number,
  seed: number,
): { labelled: ScoredRecord[]; rest: ScoredRecord[] } {
  const random = seededRandom(seed);
  const labelled: ScoredRecord[] = [];
  for (const label of ['abnormal', 'normal'] as HeartSoundLabel[]) {
    const members = shuffleInPlace(
      records.filter((r) => r.label === label).sort((a, b) => a.id.localeCompare(b.id)),
      random,
    );
    labelled.push(...members.slice(0, Math.min(perClass, members.length - Math.ceil(members.length / 3))));
  }
  const chosen = new Set(labelled.map((r) => r.id));
  return { labelled, rest: records.filter((r) => !chosen.has(r.id)) };
}

export interface SiteCalibrationTrial {
  seed: number;
  labelled: { normal: number; abnormal: number };
  /** The model's own threshold on the records not labelled. */
  before: BinaryMetrics;
  /** The site's operating point on the same records, unless the fit was refused. */
  after?: BinaryMetrics;
  refused?: { code: SiteCalibrationRefusalCode; message: string };
  decision?: SiteOperatingPoint;
  figures?: SiteFitFigures;
}

/** One trial of what a site gets: label `perClass` records of each class, fit, judge on the rest. */
export function siteCalibrationTrial(
  records: readonly ScoredRecord[],
  model: Pick<DecisionPolicy, 'calibration' | 'threshold'>,
  options: SiteFitOptions & { perClass?: number; seed: number },
): SiteCalibrationTrial {
  const { labelled, rest } = drawSiteRecords(records, options.perClass ?? 15, options.seed);
  const count = (label: HeartSoundLabel) => labelled.filter((r) => r.label === label).length;
  const trial: SiteCalibrationTrial = {
    seed: options.seed,
    labelled: { normal: count('normal'), abnormal: count('abnormal') },
    before: metricsWithDecision(rest, model),
  };
  try {
    const fit = fitSiteOperatingPointOnScores(labelled, model, options);
    const composed = siteDecisionPolicy({ ...model, minimumQuality: 0 }, fit.decision);
    return {
      ...trial,
      after: metricsWithDecision(rest, composed),
      decision: fit.decision,
      figures: fit.figures,
    };
  } catch (error) {
    if (!(error instanceof SiteCalibrationError)) throw error;
    return { ...trial, refused: { code: error.code, message: error.message } };
  }
}
