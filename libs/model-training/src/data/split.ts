// How a training run divides its labelled recordings, as a policy recorded in the version's manifest
// so the split can be recomputed later (`heartbeat evaluate --validation-split`, the refit scripts).
// Two policies: 'stratified' (heartbeat train: a seeded draw of every (subset, label) group, and
// optionally one subset left out whole) and 'record-hash' (the training worker: an evaluation set
// and a validation set chosen by a hash of each record's identity, so a record keeps its side as
// uploads add data). Validation splits are kept inside the development data; the project's test
// sets are held back elsewhere.
import { type HeartSoundLabel, type LabelledRecording, seededRandom, shuffleInPlace } from '@heartbeat/model';
import { z } from 'zod';

export interface DatasetSplit {
  training: LabelledRecording[];
  validation: LabelledRecording[];
}

/** Holds out `validationFraction` of every (subset, label) group, so each subset is measured. */
export function stratifiedSplit(
  recordings: LabelledRecording[],
  validationFraction: number,
  seed: number,
): DatasetSplit {
  const groups = new Map<string, LabelledRecording[]>();
  for (const recording of [...recordings].sort((a, b) => a.id.localeCompare(b.id))) {
    const key = `${recording.subset}/${recording.label}`;
    groups.set(key, [...(groups.get(key) ?? []), recording]);
  }
  const random = seededRandom(seed);
  const split: DatasetSplit = { training: [], validation: [] };
  for (const key of [...groups.keys()].sort()) {
    const members = shuffleInPlace(groups.get(key)!, random);
    const held = Math.max(1, Math.round(members.length * validationFraction));
    split.validation.push(...members.slice(0, held));
    split.training.push(...members.slice(held));
  }
  return split;
}

/** Leave-one-subset-out: trains on every other subset and validates on the one left out. */
export function leaveOneSubsetOut(recordings: LabelledRecording[], heldOutSubset: string): DatasetSplit {
  return {
    training: recordings.filter((r) => r.subset !== heldOutSubset),
    validation: recordings.filter((r) => r.subset === heldOutSubset),
  };
}

/**
 * How a training run divides the data: a left-out subset (if any) is held out whole, the rest split
 * by stratifiedSplit into training and validation.
 */
export function developmentSplit(
  recordings: LabelledRecording[],
  options: { validationFraction: number; seed: number; holdOutSubset?: string | null },
): DatasetSplit & { heldOut: LabelledRecording[] } {
  const { training: development, validation: heldOut } = options.holdOutSubset
    ? leaveOneSubsetOut(recordings, options.holdOutSubset)
    : { training: recordings, validation: [] };
  return { ...stratifiedSplit(development, options.validationFraction, options.seed), heldOut };
}

/** 32-bit FNV-1a of a string's UTF-16 code units: split hashes and dataset fingerprints. */
export function fnv1a32(text: string, hash = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** A fingerprint of which records (and labels) a set holds, stored with a model version. */
export function datasetFingerprint(recordings: LabelledRecording[]): string {
  // FNV-1a over the sorted ids; enough to tell two sets apart, not a security property.
  let hash = 0x811c9dc5;
  for (const line of recordings.map((r) => `${r.subset}/${r.id}:${r.label}`).sort())
    hash = fnv1a32(line, hash);
  return `fnv1a32:${hash.toString(16).padStart(8, '0')}:${recordings.length}`;
}

/**
 * Splits off `fraction` of each label (at least one record of each) by a hash of the record's
 * identity, not a random draw: a record keeps its side as the data grows, so the evaluation set of
 * the next run is mostly this one's and a candidate is never evaluated on records it trained on.
 */
export function splitByRecordHash(
  recordings: readonly LabelledRecording[],
  fraction: number,
  salt: string,
): { held: LabelledRecording[]; rest: LabelledRecording[] } {
  const held: LabelledRecording[] = [];
  const rest: LabelledRecording[] = [];
  for (const label of ['normal', 'abnormal'] as HeartSoundLabel[]) {
    const members = recordings
      .filter((r) => r.label === label)
      .map((r) => ({ r, hash: fnv1a32(`${salt}/${r.subset}/${r.id}`) }))
      .sort((a, b) => a.hash - b.hash || a.r.id.localeCompare(b.r.id));
    const count = members.length < 2 ? 0 : Math.max(1, Math.round(members.length * fraction));
    held.push(...members.slice(0, count).map((m) => m.r));
    rest.push(...members.slice(count).map((m) => m.r));
  }
  return { held, rest };
}

const fraction = z.number().gt(0).lt(1);

/** A split policy as recorded in a manifest's `training.split`. */
export const splitPolicySchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('stratified'),
    validationFraction: fraction,
    seed: z.number().int(),
    holdOutSubset: z.string().nullable(),
  }),
  z.object({
    kind: z.literal('record-hash'),
    evaluationFraction: z.number().min(0).lt(1),
    validationFraction: fraction,
  }),
]);

export type SplitPolicy = z.infer<typeof splitPolicySchema>;

export const DEFAULT_VALIDATION_FRACTION = 0.2;
/** The training worker's evaluation fraction when none is recorded (TRAINING_EVALUATION_FRACTION's default). */
export const DEFAULT_EVALUATION_FRACTION = 0.2;

/**
 * Training, validation, a left-out subset reported on after training (stratified) and an evaluation
 * set that training never sees, for comparing a candidate with the serving version (record-hash).
 */
export interface PolicySplit extends DatasetSplit {
  heldOut: LabelledRecording[];
  evaluation: LabelledRecording[];
}

export function splitRecordings(policy: SplitPolicy, recordings: LabelledRecording[]): PolicySplit {
  if (policy.kind === 'stratified') return { ...developmentSplit(recordings, policy), evaluation: [] };
  const { held: evaluation, rest: development } = splitByRecordHash(
    recordings,
    policy.evaluationFraction,
    'evaluation',
  );
  const { held: validation, rest: training } = splitByRecordHash(
    development,
    policy.validationFraction,
    'validation',
  );
  return { training, validation, heldOut: [], evaluation };
}

/**
 * The split policy a version was trained with: `training.split` in its manifest, or for a manifest
 * written before the policy was recorded, what its writer used then: the training worker (whose
 * manifests carry `resumedFromEpoch`) the record-hash split at the default fractions, `heartbeat
 * train` the stratified split from `validationFraction`, `params.seed` and `holdOutSubset`.
 */
export function splitPolicyOf(
  training: Record<string, unknown> | undefined,
  defaultSeed: number,
): SplitPolicy {
  if (training?.split !== undefined) return splitPolicySchema.parse(training.split);
  if (training && 'resumedFromEpoch' in training)
    return {
      kind: 'record-hash',
      evaluationFraction: DEFAULT_EVALUATION_FRACTION,
      validationFraction: DEFAULT_VALIDATION_FRACTION,
    };
  const legacy = training as
    { params?: { seed?: number }; validationFraction?: number; holdOutSubset?: string | null } | undefined;
  return {
    kind: 'stratified',
    validationFraction: legacy?.validationFraction ?? DEFAULT_VALIDATION_FRACTION,
    seed: legacy?.params?.seed ?? defaultSeed,
    holdOutSubset: legacy?.holdOutSubset ?? null,
  };
}
