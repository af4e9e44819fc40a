// What a screening says about one recording, in one place: the label union, the quality and
// probability ranges and the per-window score. Workers, the queue, the database, the gateway, the
// CLI and the console all take these from here.
import { z } from 'zod';

/** `unsure`: the signal is too poor to judge (the quality gate), not a third diagnosis. */
export const PREDICTION_LABELS = ['normal', 'abnormal', 'unsure'] as const;
export const predictionLabelSchema = z.enum(PREDICTION_LABELS);
export type PredictionLabel = z.output<typeof predictionLabelSchema>;

/** Calibrated probability that the recording is abnormal. */
export const probabilitySchema = z.number().min(0).max(1);
/** Signal quality, 0 (unusable) to 1 (clean). */
export const qualityScoreSchema = z.number().min(0).max(1);

/** One analysis window's score: the probability the recording would get if it were that window. */
export const windowScoreSchema = z.object({
  startSeconds: z.number().nonnegative(),
  endSeconds: z.number().nonnegative(),
  probability: probabilitySchema,
});
export type WindowScore = z.output<typeof windowScoreSchema>;
