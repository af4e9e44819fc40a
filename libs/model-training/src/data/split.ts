// Validation splits kept inside the development data; the project's test sets are held back elsewhere.
import { type LabelledRecording, seededRandom, shuffleInPlace } from '@heartbeat/model';

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

/** A fingerprint of which records (and labels) a set holds, stored with a model version. */
export function datasetFingerprint(recordings: LabelledRecording[]): string {
  // FNV-1a over the sorted ids; enough to tell two sets apart, not a security property.
  let hash = 0x811c9dc5;
  for (const line of recordings.map((r) => `${r.subset}/${r.id}:${r.label}`).sort()) {
    for (let i = 0; i < line.length; i++) {
      hash ^= line.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
  }
  return `fnv1a32:${hash.toString(16).padStart(8, '0')}:${recordings.length}`;
}
