// Binary classification metrics for screening: "positive" means abnormal (label 1).

export interface ConfusionMatrix {
  truePositive: number;
  falsePositive: number;
  trueNegative: number;
  falseNegative: number;
}

export interface RocPoint {
  threshold: number;
  falsePositiveRate: number;
  truePositiveRate: number;
}

export interface BinaryMetrics {
  count: number;
  positives: number;
  negatives: number;
  accuracy: number;
  precision: number;
  sensitivity: number;
  specificity: number;
  f1: number;
  /** PhysioNet/CinC 2016 score: (sensitivity + specificity) / 2. */
  macc: number;
  auc: number;
  ece: number;
  confusion: ConfusionMatrix;
}

const safeRatio = (numerator: number, denominator: number): number =>
  denominator === 0 ? Number.NaN : numerator / denominator;

export function confusionMatrix(labels: ArrayLike<number>, predicted: ArrayLike<number>): ConfusionMatrix {
  assertSameLength(labels, predicted);
  const matrix: ConfusionMatrix = { truePositive: 0, falsePositive: 0, trueNegative: 0, falseNegative: 0 };
  for (let i = 0; i < labels.length; i++) {
    const actual = labels[i] === 1;
    const flagged = predicted[i] === 1;
    if (actual && flagged) matrix.truePositive++;
    else if (actual) matrix.falseNegative++;
    else if (flagged) matrix.falsePositive++;
    else matrix.trueNegative++;
  }
  return matrix;
}

/** Area under the ROC curve by the Mann-Whitney U statistic; ties count one half. */
export function areaUnderRoc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  assertSameLength(labels, scores);
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSumOfPositives = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]] === scores[order[start]]) end++;
    const averageRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (labels[order[k]] === 1) {
        positives++;
        rankSumOfPositives += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSumOfPositives - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** ROC curve points from the highest threshold down; the first point is (0, 0). */
export function rocCurve(labels: ArrayLike<number>, scores: ArrayLike<number>): RocPoint[] {
  assertSameLength(labels, scores);
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) positives++;
  const negatives = labels.length - positives;
  const points: RocPoint[] = [
    { threshold: Number.POSITIVE_INFINITY, falsePositiveRate: 0, truePositiveRate: 0 },
  ];
  let truePositives = 0;
  let falsePositives = 0;
  for (let k = 0; k < order.length; k++) {
    if (labels[order[k]] === 1) truePositives++;
    else falsePositives++;
    const nextDiffers = k + 1 === order.length || scores[order[k + 1]] !== scores[order[k]];
    if (nextDiffers) {
      points.push({
        threshold: scores[order[k]],
        falsePositiveRate: negatives === 0 ? 0 : falsePositives / negatives,
        truePositiveRate: positives === 0 ? 0 : truePositives / positives,
      });
    }
  }
  return points;
}

/** Expected calibration error over equal-width probability bins. */
export function expectedCalibrationError(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  bins = 10,
): number {
  assertSameLength(labels, probabilities);
  if (labels.length === 0) return Number.NaN;
  const count = new Array<number>(bins).fill(0);
  const confidence = new Array<number>(bins).fill(0);
  const observed = new Array<number>(bins).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const bin = Math.min(bins - 1, Math.floor(probabilities[i] * bins));
    count[bin]++;
    confidence[bin] += probabilities[i];
    observed[bin] += labels[i] === 1 ? 1 : 0;
  }
  let error = 0;
  for (let b = 0; b < bins; b++) {
    if (count[b] > 0)
      error += (count[b] / labels.length) * Math.abs(confidence[b] / count[b] - observed[b] / count[b]);
  }
  return error;
}

/** All metrics for probabilities of "abnormal" judged at one threshold (abnormal when p >= threshold). */
export function binaryMetrics(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  threshold = 0.5,
): BinaryMetrics {
  const predicted = Array.from(probabilities, (p) => (p >= threshold ? 1 : 0));
  const confusion = confusionMatrix(labels, predicted);
  const { truePositive: tp, falsePositive: fp, trueNegative: tn, falseNegative: fn } = confusion;
  const precision = safeRatio(tp, tp + fp);
  const sensitivity = safeRatio(tp, tp + fn);
  const specificity = safeRatio(tn, tn + fp);
  return {
    count: labels.length,
    positives: tp + fn,
    negatives: tn + fp,
    accuracy: safeRatio(tp + tn, labels.length),
    precision,
    sensitivity,
    specificity,
    f1: safeRatio(2 * tp, 2 * tp + fp + fn),
    macc: (sensitivity + specificity) / 2,
    auc: areaUnderRoc(labels, probabilities),
    ece: expectedCalibrationError(labels, probabilities),
    confusion,
  };
}

/**
 * The threshold on scores that maximises MAcc; ties go to the threshold in the middle of the best
 * run, so that it does not sit on the edge of one validation record.
 */
export function thresholdMaximisingMacc(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
): { threshold: number; macc: number } {
  const points = rocCurve(labels, scores);
  let best = -1;
  let bestIndices: number[] = [];
  for (let i = 1; i < points.length; i++) {
    const macc = (points[i].truePositiveRate + 1 - points[i].falsePositiveRate) / 2;
    if (macc > best + 1e-12) {
      best = macc;
      bestIndices = [i];
    } else if (Math.abs(macc - best) <= 1e-12) bestIndices.push(i);
  }
  if (bestIndices.length === 0) return { threshold: 0.5, macc: Number.NaN };
  const middle = bestIndices[Math.floor((bestIndices.length - 1) / 2)];
  // Between this operating point's score and the next lower score, so both sides are classified as intended.
  const sortedScores = Array.from(scores).sort((a, b) => b - a);
  const at = points[middle].threshold;
  const below = sortedScores.find((s) => s < at);
  const threshold = below === undefined ? at : (at + below) / 2;
  return { threshold, macc: best };
}

/**
 * The threshold that maximises the mean of the sites' own MAcc, each site weighing the same, rather
 * than the MAcc of all records pooled. Pooled, a threshold can score well by flagging every record of
 * the sites where abnormal recordings are common and passing every record of the sites where they are
 * rare: it learns the mix of sites, which a new site does not share. Only sites with at least
 * `minPerLabel` records of each label take part; with fewer than two such sites this is the pooled
 * threshold. Ties go to the middle of the best run, as in thresholdMaximisingMacc.
 */
export function thresholdMaximisingSiteMacc(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  sites: ArrayLike<string>,
  { minPerLabel = 3 }: { minPerLabel?: number } = {},
): { threshold: number; macc: number; sites: string[] } {
  assertSameLength(labels, scores);
  if (sites.length !== labels.length)
    throw new RangeError(`labels (${labels.length}) and sites (${sites.length}) differ in length`);
  const totals = new Map<string, { positives: number; negatives: number }>();
  for (let i = 0; i < labels.length; i++) {
    const site = totals.get(sites[i]) ?? { positives: 0, negatives: 0 };
    if (labels[i] === 1) site.positives++;
    else site.negatives++;
    totals.set(sites[i], site);
  }
  const eligible = [...totals]
    .filter(([, t]) => t.positives >= minPerLabel && t.negatives >= minPerLabel)
    .map(([site]) => site)
    .sort();
  if (eligible.length < 2) return { ...thresholdMaximisingMacc(labels, scores), sites: eligible };
  const siteIndex = new Map(eligible.map((site, index) => [site, index]));
  const order = Array.from({ length: labels.length }, (_, i) => i)
    .filter((i) => siteIndex.has(sites[i]))
    .sort((a, b) => scores[b] - scores[a]);
  // Sweep the threshold down through the scores; at each distinct score every record scored at or
  // above it is called abnormal. Start with nothing flagged (threshold above the top score).
  const truePositives = new Array<number>(eligible.length).fill(0);
  const falsePositives = new Array<number>(eligible.length).fill(0);
  const meanMacc = () => {
    let sum = 0;
    eligible.forEach((site, k) => {
      const { positives, negatives } = totals.get(site)!;
      sum += (truePositives[k] / positives + 1 - falsePositives[k] / negatives) / 2;
    });
    return sum / eligible.length;
  };
  const candidates: { threshold: number; macc: number }[] = [
    { threshold: Number.POSITIVE_INFINITY, macc: meanMacc() },
  ];
  for (let j = 0; j < order.length;) {
    const score = scores[order[j]];
    for (; j < order.length && scores[order[j]] === score; j++) {
      const k = siteIndex.get(sites[order[j]])!;
      if (labels[order[j]] === 1) truePositives[k]++;
      else falsePositives[k]++;
    }
    // Halfway to the next lower score, so a record is not classified by rounding.
    const next = j < order.length ? scores[order[j]] : score - 1;
    candidates.push({ threshold: (score + next) / 2, macc: meanMacc() });
  }
  const best = Math.max(...candidates.map((c) => c.macc));
  const bestRun = candidates.filter((c) => c.macc >= best - 1e-12);
  const chosen = bestRun[Math.floor((bestRun.length - 1) / 2)];
  return { threshold: chosen.threshold, macc: best, sites: eligible };
}

function assertSameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length)
    throw new RangeError(`labels (${a.length}) and scores (${b.length}) differ in length`);
}
