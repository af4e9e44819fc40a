// Site calibration: a hospital's stethoscope and population shift the operating point, so the
// calibration and threshold are refitted on a few labelled local recordings while the network's
// weights stay as they are.
import type { HeartSoundLabel } from '../data/labelled-recordings';
import { type BinaryMetrics, binaryMetrics } from '../metrics/binary-metrics';
import { seededRandom, shuffleInPlace } from './random';
import { type Calibration, calibratedProbability } from './record-decision';
import { fitDecision, type ThresholdRule } from './trainer';

export interface ScoredRecord {
  id: string;
  label: HeartSoundLabel;
  /** What the calibration reads (recordingScore). */
  score: number;
}

export interface SiteDecision {
  calibration: Calibration;
  threshold: number;
  /** Absent on a model's own decision written before the rule was recorded. */
  thresholdRule?: ThresholdRule;
}

export class SiteCalibrationError extends Error {
  constructor(
    readonly code: 'NEEDS_BOTH_LABELS' | 'RANKING_INVERTED',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Refits calibration and threshold on a site's labelled recordings (needs both labels). Refuses a
 * fit whose slope is not positive: that would mean the network ranks this site's abnormal
 * recordings below its normal ones, and "calibrating" by turning the scores upside down would hide
 * a model that does not work there.
 */
export function fitSiteDecision(records: ScoredRecord[]): SiteDecision {
  const labels = new Set(records.map((r) => r.label));
  if (labels.size < 2) {
    throw new SiteCalibrationError('NEEDS_BOTH_LABELS', 'site calibration needs labelled recordings of both classes (normal and abnormal)');
  }
  // One site: its threshold maximises its own (pooled) MAcc.
  const { calibration, threshold, thresholdRule } = fitDecision(records.map((r) => ({ recording: { label: r.label }, score: r.score })));
  if (!(calibration.slope > 0)) {
    throw new SiteCalibrationError(
      'RANKING_INVERTED',
      `At this site the model scores abnormal recordings lower than normal ones (fitted slope ${calibration.slope.toFixed(2)}): ` +
        'calibration cannot repair that. Do not use this model version at this site; retrain with its recordings instead.',
    );
  }
  return { calibration, threshold, thresholdRule };
}

/** Splits a site's records into a calibration part of `count` (both labels, class ratio kept) and the rest. */
export function splitForSiteCalibration(records: ScoredRecord[], count: number, seed: number): { calibration: ScoredRecord[]; rest: ScoredRecord[] } {
  const random = seededRandom(seed);
  const byLabel = (label: HeartSoundLabel) => shuffleInPlace(records.filter((r) => r.label === label).sort((a, b) => a.id.localeCompare(b.id)), random);
  const abnormal = byLabel('abnormal');
  const normal = byLabel('normal');
  const abnormalShare = abnormal.length / Math.max(1, records.length);
  const abnormalCount = Math.min(abnormal.length - 1, Math.max(2, Math.round(count * abnormalShare)));
  const normalCount = Math.min(normal.length - 1, count - abnormalCount);
  const calibration = [...abnormal.slice(0, abnormalCount), ...normal.slice(0, normalCount)];
  const chosen = new Set(calibration.map((r) => r.id));
  return { calibration, rest: records.filter((r) => !chosen.has(r.id)) };
}

export function metricsWithDecision(records: ScoredRecord[], decision: SiteDecision): BinaryMetrics {
  return binaryMetrics(
    records.map((r) => (r.label === 'abnormal' ? 1 : 0)),
    records.map((r) => calibratedProbability(r.score, decision.calibration)),
    decision.threshold,
  );
}

/** Before/after figures of site calibration on one site's records not used to calibrate. */
export function siteCalibrationExperiment(
  records: ScoredRecord[],
  modelDecision: SiteDecision,
  calibrationRecords = 30,
  seed = 2016,
): { before: BinaryMetrics; after?: BinaryMetrics; refused?: string; calibrationRecords: number } {
  const { calibration, rest } = splitForSiteCalibration(records, calibrationRecords, seed);
  const before = metricsWithDecision(rest, modelDecision);
  try {
    return { before, after: metricsWithDecision(rest, fitSiteDecision(calibration)), calibrationRecords: calibration.length };
  } catch (error) {
    if (!(error instanceof SiteCalibrationError)) throw error;
    return { before, refused: error.message, calibrationRecords: calibration.length };
  }
}
