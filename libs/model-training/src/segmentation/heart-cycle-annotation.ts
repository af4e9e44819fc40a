// Reads a hand-corrected heart-cycle segmentation (the PhysioNet 2016 `*_StateAns` annotations as
// `start_sample,state` CSV: 1-based samples at 2 kHz; states S1, systole, S2, diastole in turn; a noisy
// stretch that was not annotated bracketed by `(N` ... `N)`). Everything is returned 0-based, so it
// compares directly with segmentHeartSounds's samples.
import { HEART_SOUND_STATES, type HeartSoundState } from '@heartbeat/audio';

/** One annotated stretch in one state, samples 0-based, end exclusive. */
export interface AnnotatedSegment {
  readonly state: HeartSoundState;
  readonly start: number;
  readonly end: number;
}

/** A stretch the annotator marked as noise and did not segment (0-based, end exclusive). */
export interface NoisyStretch {
  readonly start: number;
  readonly end: number;
}

export interface HeartCycleAnnotation {
  /**
   * Annotated segments, each ending where the next row starts. The last state's end is not annotated
   * (the file does not say where it stops), so it is left out; so is the stretch between a noise
   * marker's `N)` and the next state, which nobody labelled.
   */
  readonly segments: readonly AnnotatedSegment[];
  readonly noisy: readonly NoisyStretch[];
  /** S1 and S2 onsets (0-based): rows of those states, except one at the recording's first sample (its onset was not heard). */
  readonly onsets: readonly { readonly state: 'S1' | 'S2'; readonly sample: number }[];
}

export class AnnotationFormatError extends Error {
  override readonly name = 'AnnotationFormatError';
}

type Row = { start: number; kind: HeartSoundState | 'noise-start' | 'noise-end' };

/** Parses one annotation file's text; `source` names it in errors. */
export function parseHeartCycleAnnotation(text: string, source = 'annotation'): HeartCycleAnnotation {
  const rows: Row[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || (index === 0 && line.toLowerCase() === 'start_sample,state')) return;
    const [sampleText, label, ...rest] = line.split(',').map((part) => part.trim());
    const sample = Number(sampleText);
    if (rest.length > 0 || label === undefined || !Number.isInteger(sample) || sample < 1) {
      throw new AnnotationFormatError(
        `${source}, line ${index + 1}: expected "start_sample,state" with a 1-based sample index, got "${line}"`,
      );
    }
    rows.push({ start: sample - 1, kind: rowKind(label, `${source}, line ${index + 1}`) });
  });
  for (let i = 1; i < rows.length; i++) {
    if (rows[i].start < rows[i - 1].start)
      throw new AnnotationFormatError(
        `${source}: rows must be in time order, but sample ${rows[i].start + 1} follows ${rows[i - 1].start + 1}`,
      );
  }

  const segments: AnnotatedSegment[] = [];
  const noisy: NoisyStretch[] = [];
  const onsets: { state: 'S1' | 'S2'; sample: number }[] = [];
  let noiseStart: number | null = null;
  rows.forEach((row, i) => {
    if (row.kind === 'noise-start') {
      if (noiseStart !== null)
        throw new AnnotationFormatError(
          `${source}: "(N" at sample ${row.start + 1} inside another noisy stretch`,
        );
      noiseStart = row.start;
      return;
    }
    if (row.kind === 'noise-end') {
      if (noiseStart === null)
        throw new AnnotationFormatError(
          `${source}: "N)" at sample ${row.start + 1} without a "(N" before it`,
        );
      noisy.push({ start: noiseStart, end: row.start });
      noiseStart = null;
      return;
    }
    if (noiseStart !== null)
      throw new AnnotationFormatError(
        `${source}: state ${row.kind} at sample ${row.start + 1} inside a noisy stretch`,
      );
    if ((row.kind === 'S1' || row.kind === 'S2') && row.start > 0)
      onsets.push({ state: row.kind, sample: row.start });
    const next = rows[i + 1];
    if (next && next.start > row.start) segments.push({ state: row.kind, start: row.start, end: next.start });
  });
  if (noiseStart !== null)
    throw new AnnotationFormatError(
      `${source}: the noisy stretch from sample ${(noiseStart as number) + 1} has no "N)"`,
    );
  return { segments, noisy, onsets };
}

function rowKind(label: string, where: string): Row['kind'] {
  if (label === '(N') return 'noise-start';
  if (label === 'N)') return 'noise-end';
  const state = HEART_SOUND_STATES.find((s) => s.toLowerCase() === label.toLowerCase());
  if (!state)
    throw new AnnotationFormatError(
      `${where}: unknown state "${label}" (expected S1, systole, S2, diastole, "(N" or "N)")`,
    );
  return state;
}

/** Where the annotation says something: from its first annotated sample to the end of its last segment. */
export function annotatedSpan(annotation: HeartCycleAnnotation): { start: number; end: number } | null {
  const { segments } = annotation;
  if (segments.length === 0) return null;
  return { start: segments[0].start, end: segments[segments.length - 1].end };
}
