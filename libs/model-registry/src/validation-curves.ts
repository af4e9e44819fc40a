// A model version's validation scores (validation-scores.json in its directory) and what they draw:
// the ROC curve with its AUC and the reliability diagram with the expected calibration error (ECE).
// Pure functions; the registry stores the scores, the gateway serves the curves.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelRegistryError } from './errors';

export const VALIDATION_SCORES_FILE = 'validation-scores.json';

/** The version's own calibration: probability = sigmoid(slope * score + intercept). */
export interface ScoreCalibration {
  slope: number;
  intercept: number;
}

/** One validation recording's score and calibrated probability (a model_validation_scores row). */
export interface ValidationScore {
  recordId: string;
  subset: string;
  label: 'normal' | 'abnormal';
  score: number;
  probability: number;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * The rows of a version directory's validation-scores.json with their calibrated probabilities, or
 * undefined when the directory has none. Files written before heart-cycle models have no `score`:
 * their mean window logit is the score.
 */
export async function readValidationScores(
  dir: string,
  calibration: ScoreCalibration,
): Promise<ValidationScore[] | undefined> {
  const file = join(dir, VALIDATION_SCORES_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const invalid = (why: string) =>
    new ModelRegistryError('MODEL_ARTIFACTS_INVALID', `${file} is not a list of validation scores: ${why}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalid((error as Error).message);
  }
  if (!Array.isArray(parsed)) throw invalid('expected a JSON array');
  return parsed.map((entry: Record<string, unknown>, index) => {
    const score = typeof entry?.score === 'number' ? entry.score : entry?.meanLogit;
    if (
      typeof entry?.id !== 'string' ||
      typeof entry.subset !== 'string' ||
      (entry.label !== 'normal' && entry.label !== 'abnormal') ||
      typeof score !== 'number' ||
      !Number.isFinite(score)
    )
      throw invalid(`row ${index} lacks id, subset, label (normal or abnormal) or a finite score`);
    return {
      recordId: entry.id,
      subset: entry.subset,
      label: entry.label,
      score,
      probability: sigmoid(calibration.slope * score + calibration.intercept),
    };
  });
}

export interface RocPoint {
  /** Probability at or above which a recording is called abnormal (null for the (0, 0) corner). */
  threshold: number | null;
  falsePositiveRate: number;
  truePositiveRate: number;
}

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  /** Mean predicted probability of abnormal in the bin (null when empty). */
  meanPredicted: number | null;
  /** Fraction of the bin's recordings that are abnormal (null when empty). */
  observedRate: number | null;
}

export interface ValidationCurves {
  count: number;
  abnormal: number;
  normal: number;
  /** Area under the ROC curve (ties count half); null without both classes. */
  auc: number | null;
  roc: RocPoint[];
  reliability: ReliabilityBin[];
  /** Expected calibration error: bin-size-weighted mean |predicted - observed| (null without scores). */
  ece: number | null;
}

type Scored = Pick<ValidationScore, 'label' | 'probability'>;

/** ROC points from the highest threshold down, one per distinct probability, with the trapezoid AUC. */
export function rocCurve(scores: Scored[]): { roc: RocPoint[]; auc: number | null } {
  const positives = scores.filter((s) => s.label === 'abnormal').length;
  const negatives = scores.length - positives;
  const roc: RocPoint[] = [{ threshold: null, falsePositiveRate: 0, truePositiveRate: 0 }];
  if (positives === 0 || negatives === 0) return { roc, auc: null };
  const sorted = [...scores].sort((a, b) => b.probability - a.probability);
  let truePositives = 0;
  let falsePositives = 0;
  let auc = 0;
  for (let i = 0; i < sorted.length;) {
    const threshold = sorted[i]!.probability;
    // Every recording tied at this probability moves together: a diagonal step, half credit.
    for (; i < sorted.length && sorted[i]!.probability === threshold; i++)
      if (sorted[i]!.label === 'abnormal') truePositives++;
      else falsePositives++;
    const previous = roc.at(-1)!;
    const point = {
      threshold,
      falsePositiveRate: falsePositives / negatives,
      truePositiveRate: truePositives / positives,
    };
    auc +=
      ((point.falsePositiveRate - previous.falsePositiveRate) *
        (point.truePositiveRate + previous.truePositiveRate)) /
      2;
    roc.push(point);
  }
  return { roc, auc };
}

/** Equal-width probability bins: the predicted against the observed rate of abnormal, and the ECE. */
export function reliabilityDiagram(
  scores: Scored[],
  binCount = 10,
): { reliability: ReliabilityBin[]; ece: number | null } {
  const bins = Array.from({ length: binCount }, (_, i) => ({ sum: 0, abnormal: 0, count: 0, i }));
  for (const { label, probability } of scores) {
    const bin = bins[Math.min(binCount - 1, Math.floor(probability * binCount))]!;
    bin.count++;
    bin.sum += probability;
    if (label === 'abnormal') bin.abnormal++;
  }
  let ece = 0;
  const reliability = bins.map(({ sum, abnormal, count, i }) => {
    if (count > 0) ece += (count / scores.length) * Math.abs(sum / count - abnormal / count);
    return {
      lower: i / binCount,
      upper: (i + 1) / binCount,
      count,
      meanPredicted: count > 0 ? sum / count : null,
      observedRate: count > 0 ? abnormal / count : null,
    };
  });
  return { reliability, ece: scores.length > 0 ? ece : null };
}

export function validationCurves(scores: Scored[], binCount = 10): ValidationCurves {
  const abnormal = scores.filter((s) => s.label === 'abnormal').length;
  return {
    count: scores.length,
    abnormal,
    normal: scores.length - abnormal,
    ...rocCurve(scores),
    ...reliabilityDiagram(scores, binCount),
  };
}
