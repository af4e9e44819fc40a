// The model card's research section: the version beside the best candidate a research issue measured,
// and whether that candidate may replace it as the CLI default (research/MODEL_RESEARCH.md).
import type { BinaryMetrics } from '@heartbeat/model';

/** The figures the comparison needs from a BinaryMetrics. */
export type ComparisonMetrics = Pick<
  BinaryMetrics,
  'count' | 'auc' | 'macc' | 'sensitivity' | 'specificity' | 'ece'
>;

export interface ComparisonClip {
  seconds: number;
  auc: number;
  macc: number;
  sensitivity: number;
  specificity: number;
}

/** One model measured by the research path: its own validation split, the left-out folds, short clips. */
export interface ComparedModel {
  name: string;
  /** Probability threshold fitted on the validation scores, and the rule that chose it. */
  threshold: number;
  thresholdRule: string;
  validation: { overall: ComparisonMetrics; perSubset: Record<string, ComparisonMetrics> };
  /** Per left-out subset: that fold's held-out figures at the fold's own threshold. */
  heldOut: Record<string, ComparisonMetrics>;
  /** The validation records cut to their first seconds, at the threshold above. */
  clips: ComparisonClip[];
  /** Which heart-sound segmentation the model reads (its F1 is in the card's segmentation section). */
  segmentation: string;
  /** How the model is made: a training command, or the refit on a version's network. */
  command: string;
}

/** research-comparison.json: written by research/research-comparison.ts, rendered into the card. */
export interface ResearchComparisonReport {
  /** The issue that ran the comparison, e.g. "issue 29 (heart-cycle-aware screening)". */
  issue: string;
  variantsCompared: number;
  variantBudget: number;
  /** What the candidate is, in a sentence. */
  candidateDescription: string;
  /** The version as the research path measures it (same figures as the card's validation table). */
  version: ComparedModel;
  candidate: ComparedModel;
  /** How the leave-one-subset-out fold networks beside both models were trained. */
  foldRecipe: string;
  /** The command that reproduces every figure of the comparison. */
  command: string;
  /** What was not tried or not finished, for the next attempt. */
  left: string[];
}

export interface DefaultDecision {
  moves: boolean;
  /** Each failed condition, with its figures; empty when the candidate qualifies. */
  reasons: string[];
}

const fixed = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '-');

/**
 * The rule for moving the CLI default (issue 29): the candidate beats the version on its validation
 * split (AUC and MAcc neither lower, one higher) and loses no leave-one-subset-out database (held-out
 * AUC not lower on any fold both were measured on).
 */
export function candidateMovesDefault(version: ComparedModel, candidate: ComparedModel): DefaultDecision {
  const reasons: string[] = [];
  const [v, c] = [version.validation.overall, candidate.validation.overall];
  if (c.auc < v.auc || c.macc < v.macc || (c.auc === v.auc && c.macc === v.macc))
    reasons.push(
      `validation AUC / MAcc ${fixed(c.auc)} / ${fixed(c.macc)} does not beat ${fixed(v.auc)} / ${fixed(v.macc)}`,
    );
  for (const subset of Object.keys(version.heldOut).sort()) {
    const [before, after] = [version.heldOut[subset], candidate.heldOut[subset]];
    if (!after) reasons.push(`${subset} held out was not measured`);
    else if (after.auc < before.auc)
      reasons.push(`${subset} held out loses: AUC ${fixed(before.auc)} -> ${fixed(after.auc)}`);
  }
  return { moves: reasons.length === 0, reasons };
}

const pair = (m?: { auc: number; macc: number }) => (m ? `${fixed(m.auc)} / ${fixed(m.macc)}` : '-');

export function renderResearchComparison(report?: ResearchComparisonReport): string {
  if (!report) return 'No research comparison recorded for this version.';
  const { version, candidate } = report;
  const decision = candidateMovesDefault(version, candidate);
  const subsets = [
    ...new Set([
      ...Object.keys(version.validation.perSubset),
      ...Object.keys(candidate.validation.perSubset),
    ]),
  ].sort();
  const folds = [...new Set([...Object.keys(version.heldOut), ...Object.keys(candidate.heldOut)])].sort();
  const meanAuc = (m: ComparedModel) => {
    const values = folds.map((s) => m.heldOut[s]?.auc).filter((x): x is number => x !== undefined);
    return values.reduce((s, x) => s + x, 0) / values.length;
  };
  const clipSeconds = [...new Set([...version.clips, ...candidate.clips].map((c) => c.seconds))].sort(
    (a, b) => a - b,
  );
  const clipOf = (m: ComparedModel, s: number) => m.clips.find((c) => c.seconds === s);
  const rows = (m: ComparedModel) => {
    const o = m.validation.overall;
    return {
      validation: `| ${m.name} | ${fixed(o.auc)} / ${fixed(o.macc)} | ${fixed(o.sensitivity)} / ${fixed(o.specificity)} | ${fixed(m.threshold)} (${m.thresholdRule}) | ${fixed(o.ece)} | ${subsets
        .map((s) => pair(m.validation.perSubset[s]))
        .join(' | ')} |`,
      heldOut: `| ${m.name} | ${folds.map((s) => pair(m.heldOut[s])).join(' | ')} | ${fixed(meanAuc(m))} |`,
      clips: `| ${m.name} | ${clipSeconds
        .map((s) => {
          const c = clipOf(m, s);
          return c
            ? `${fixed(c.auc)} / ${fixed(c.macc)} (${fixed(c.sensitivity)} / ${fixed(c.specificity)})`
            : '-';
        })
        .join(' | ')} |`,
    };
  };
  const [a, b] = [rows(version), rows(candidate)];
  return [
    `${report.issue}: ${report.variantsCompared} of the ${report.variantBudget} variants allowed were compared by leave-one-subset-out`,
    '(research/MODEL_RESEARCH.md). The best candidate beside this version, both measured the same way (the research path',
    "reproduces this version's validation figures above):",
    '',
    `- **${candidate.name}**: ${report.candidateDescription}`,
    '',
    `Validation (this version's own split; AUC / MAcc; threshold refitted per model):`,
    '',
    `| model | AUC / MAcc | Se / Sp | threshold | ECE | ${subsets.join(' | ')} |`,
    `|---|---|---|---|---|${subsets.map(() => '---|').join('')}`,
    a.validation,
    b.validation,
    '',
    `Leave one subset out (held-out AUC / MAcc at each fold's own threshold; ${report.foldRecipe}):`,
    '',
    `| model | ${folds.join(' | ')} | mean AUC |`,
    `|---|${folds.map(() => '---|').join('')}---|`,
    a.heldOut,
    b.heldOut,
    '',
    "Short clips (the validation records' first seconds; AUC / MAcc (Se / Sp) at the model's threshold):",
    '',
    `| model | ${clipSeconds.map((s) => `${s} s`).join(' | ')} |`,
    `|---|${clipSeconds.map(() => '---|').join('')}`,
    a.clips,
    b.clips,
    '',
    `Segmentation: ${version.name}: ${version.segmentation}; ${candidate.name}: ${candidate.segmentation}.`,
    '',
    'How each is made:',
    '',
    '```',
    `${version.name}: ${version.command}`,
    `${candidate.name}: ${candidate.command}`,
    '```',
    '',
    `Reproduce the comparison: \`${report.command}\``,
    '',
    decision.moves
      ? `**The candidate qualifies to become the CLI default** (it beats this version on validation and loses no left-out database).`
      : `**This version stays the CLI default.** The rule (beat it on validation without losing a left-out database) is not met: ${decision.reasons.join('; ')}.`,
    '',
    'Left for the next attempt:',
    '',
    ...report.left.map((item) => `- ${item}`),
  ].join('\n');
}
