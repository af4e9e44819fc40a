// From window scores to one decision per recording: aggregate, calibrate, gate on quality, threshold.

import type { PredictionLabel } from '@heartbeat/contracts';

export type RecordingLabel = PredictionLabel;

export interface Calibration {
  /** probability = sigmoid(slope * score + intercept), score as recordingScore gives it */
  slope: number;
  intercept: number;
}

export interface DecisionPolicy {
  calibration: Calibration;
  /** Abnormal when the calibrated probability is at least this. */
  threshold: number;
  /** Below this signal-quality score the product answers "unsure" rather than guessing. */
  minimumQuality: number;
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Mean of the window logits: windows vote with their confidence, and it is robust to one bad window. */
export function aggregateWindowLogits(logits: ArrayLike<number>): number {
  if (logits.length === 0) throw new RangeError('a recording needs at least one window score');
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += logits[i];
  return sum / logits.length;
}

/**
 * What the calibration reads for a recording: the network's mean window logit, plus the heart-cycle
 * model's logit times its weight when the model version has one (research/MODEL_RESEARCH.md).
 */
export function recordingScore(meanLogit: number, cycle?: { logit: number; weight: number }): number {
  return cycle ? meanLogit + cycle.weight * cycle.logit : meanLogit;
}

export function calibratedProbability(score: number, calibration: Calibration): number {
  return sigmoid(calibration.slope * score + calibration.intercept);
}

export function decideLabel(probability: number, quality: number, policy: DecisionPolicy): RecordingLabel {
  if (quality < policy.minimumQuality) return 'unsure';
  return probability >= policy.threshold ? 'abnormal' : 'normal';
}

/**
 * Platt scaling: one-dimensional logistic regression of labels on scores, fitted by Newton's method
 * with step halving (each step must lower the loss) and a small ridge penalty towards slope 1, so
 * that separable validation data does not send the slope to infinity.
 */
export function fitPlattCalibration(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  ridge = 1e-3,
): Calibration {
  const loss = (slope: number, intercept: number) => {
    let total = 0.5 * ridge * (slope - 1) * (slope - 1);
    for (let i = 0; i < scores.length; i++) {
      const z = slope * scores[i] + intercept;
      // log(1 + e^z) - y z, computed without overflow.
      total += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - labels[i] * z;
    }
    return total;
  };
  let slope = 1;
  let intercept = 0;
  let current = loss(slope, intercept);
  for (let iteration = 0; iteration < 100; iteration++) {
    let gSlope = ridge * (slope - 1);
    let gIntercept = 0;
    let hSS = ridge + 1e-9;
    let hSI = 0;
    let hII = 1e-9;
    for (let i = 0; i < scores.length; i++) {
      const p = sigmoid(slope * scores[i] + intercept);
      const residual = p - labels[i];
      const weight = p * (1 - p);
      gSlope += residual * scores[i];
      gIntercept += residual;
      hSS += weight * scores[i] * scores[i];
      hSI += weight * scores[i];
      hII += weight;
    }
    const determinant = hSS * hII - hSI * hSI;
    if (!(determinant > 1e-12)) break;
    const stepSlope = (hII * gSlope - hSI * gIntercept) / determinant;
    const stepIntercept = (hSS * gIntercept - hSI * gSlope) / determinant;
    let fraction = 1;
    let next = loss(slope - stepSlope, intercept - stepIntercept);
    while (!(next <= current) && fraction > 1e-6) {
      fraction /= 2;
      next = loss(slope - fraction * stepSlope, intercept - fraction * stepIntercept);
    }
    if (!(next <= current)) break;
    slope -= fraction * stepSlope;
    intercept -= fraction * stepIntercept;
    const improvement = current - next;
    current = next;
    if (improvement < 1e-10) break;
  }
  return { slope, intercept };
}
