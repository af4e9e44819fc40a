// The promotion rule: a candidate replaces the serving model only when it is measurably better on
// the same fixed evaluation set and does not miss more abnormal hearts. Pure, so it is tested alone.

/** Figures of one model on one evaluation set; the fingerprint says which records that set holds. */
export interface EvaluationOnSet {
  /** datasetFingerprint of the evaluation set (records and labels). */
  evaluationFingerprint: string;
  /** (sensitivity + specificity) / 2. */
  macc: number;
  sensitivity: number;
}

export interface PromotionInput {
  candidate: EvaluationOnSet;
  /** The serving model on the same set; undefined when nothing is promoted yet. */
  promoted?: EvaluationOnSet;
  /** The candidate's MAcc must be at least the promoted one's plus this (PROMOTION_MIN_MACC_GAIN). */
  margin: number;
  /** The candidate's sensitivity may be at most this much lower (PROMOTION_MAX_SENSITIVITY_DROP). */
  maxSensitivityDrop: number;
}

export interface PromotionDecision {
  promote: boolean;
  /** One sentence for the admin reading the model list, with the figures that decided it. */
  reason: string;
}

/** Differences below this are floating-point noise, so "exactly at the margin" counts as meeting it. */
const TOLERANCE = 1e-9;

const fixed = (value: number) => value.toFixed(4);

export function decidePromotion(input: PromotionInput): PromotionDecision {
  const { candidate, promoted, margin, maxSensitivityDrop } = input;
  if (!(margin >= 0) || !(maxSensitivityDrop >= 0))
    throw new RangeError('margin and maxSensitivityDrop must be non-negative numbers');
  if (!Number.isFinite(candidate.macc) || !Number.isFinite(candidate.sensitivity))
    return {
      promote: false,
      reason:
        'candidate could not be measured on the evaluation set (MAcc or sensitivity undefined: the set needs both labels)',
    };
  if (!promoted)
    return {
      promote: true,
      reason: `no promoted model yet; candidate MAcc ${fixed(candidate.macc)}, sensitivity ${fixed(candidate.sensitivity)}`,
    };
  if (candidate.evaluationFingerprint !== promoted.evaluationFingerprint)
    return {
      promote: false,
      reason:
        `evaluation sets differ (candidate ${candidate.evaluationFingerprint}, promoted ${promoted.evaluationFingerprint}); ` +
        'figures from different sets are not comparable',
    };
  const requiredMacc = promoted.macc + margin;
  if (candidate.macc + TOLERANCE < requiredMacc)
    return {
      promote: false,
      reason: `MAcc ${fixed(candidate.macc)} is below the promoted ${fixed(promoted.macc)} + margin ${fixed(margin)} = ${fixed(requiredMacc)}`,
    };
  const drop = promoted.sensitivity - candidate.sensitivity;
  if (drop > maxSensitivityDrop + TOLERANCE)
    return {
      promote: false,
      reason: `sensitivity drops by ${fixed(drop)} (${fixed(promoted.sensitivity)} -> ${fixed(candidate.sensitivity)}), more than the tolerated ${fixed(maxSensitivityDrop)}`,
    };
  return {
    promote: true,
    reason:
      `MAcc ${fixed(candidate.macc)} >= promoted ${fixed(promoted.macc)} + margin ${fixed(margin)}; ` +
      `sensitivity ${fixed(candidate.sensitivity)} (promoted ${fixed(promoted.sensitivity)}, tolerated drop ${fixed(maxSensitivityDrop)})`,
  };
}
