// From window scores to one decision per recording: aggregate, calibrate, gate on quality, threshold.

export type RecordingLabel = 'normal' | 'abnormal' | 'unsure';

export interface Calibration {
  /** probability = sigmoid(slope * meanLogit + intercept) */
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

export function calibratedProbability(meanLogit: number, calibration: Calibration): number {
  return sigmoid(calibration.slope * meanLogit + calibration.intercept);
}

export function decideLabel(probability: number, quality: number, policy: DecisionPolicy): RecordingLabel {
  if (quality < policy.minimumQuality) return 'unsure';
  return probability >= policy.threshold ? 'abnormal' : 'normal';
}

/**
 * Platt scaling: one-dimensional logistic regression of labels on scores, fitted by Newton's method
 * with a small ridge penalty so that separable validation data does not send the slope to infinity.
 */
export function fitPlattCalibration(scores: ArrayLike<number>, labels: ArrayLike<number>, ridge = 1e-3): Calibration {
  let slope = 1;
  let intercept = 0;
  for (let iteration = 0; iteration < 50; iteration++) {
    let gSlope = ridge * (slope - 1);
    let gIntercept = 0;
    let hSS = ridge, hSI = 0, hII = 1e-9;
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
    if (!(Math.abs(determinant) > 1e-12)) break;
    const stepSlope = (hII * gSlope - hSI * gIntercept) / determinant;
    const stepIntercept = (hSS * gIntercept - hSI * gSlope) / determinant;
    slope -= stepSlope;
    intercept -= stepIntercept;
    if (Math.abs(stepSlope) + Math.abs(stepIntercept) < 1e-9) break;
  }
  return { slope, intercept };
}
