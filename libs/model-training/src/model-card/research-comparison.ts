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
  /** The version as the research path measures it (same figures as the card's validation table). */
  version: ComparedModel;
  /** The best candidates, each with what it is in a sentence. */
  candidates: (ComparedModel & { description: string })[];
  /** How the leave-one-subset-out fold networks beside both models were trained. */
  foldRecipe: string;
  /** The command that reproduces every figure of the comparison. */
  command: string;
  /** Segmentations compared by S1/S2 onset F1 (within 60 ms) per subset, when the issue compared them. */
  segmentation?: {
    /** Where the figures come from and how they were held out. */
    source: string;
    rows: { name: string; f1: Record<string, number> }[];
  };
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

function renderSegmentations(report: ResearchComparisonReport, models: ComparedModel[]): string[] {
  const reads = [...new Set(models.map((m) => m.segmentation))];
  const lines = [
    reads.length === 1
      ? `Segmentation: every model above reads ${reads[0]}.`
      : `Segmentation: ${models.map((m) => `${m.name}: ${m.segmentation}`).join('; ')}.`,
  ];
  const table = report.segmentation;
  if (!table || table.rows.length === 0) return lines;
  const subsets = [...new Set(table.rows.flatMap((r) => Object.keys(r.f1)))];
  return [
    ...lines,
    '',
    `S1/S2 onset F1 (within 60 ms) of the segmentations compared (${table.source}):`,
    '',
    `| segmentation | ${subsets.join(' | ')} |`,
    `|---|${subsets.map(() => '---|').join('')}`,
    ...table.rows.map((r) => `| ${r.name} | ${subsets.map((s) => fixed(r.f1[s])).join(' | ')} |`),
  ];
}

export function renderResearchComparison(report?: ResearchComparisonReport): string {
  if (!report) return 'No research comparison recorded for this version.';
  const { version, candidates } = report;
  const models = [version, ...candidates];
  const subsets = [...new Set(models.flatMap((m) => Object.keys(m.validation.perSubset)))].sort();
  const folds = [...new Set(models.flatMap((m) => Object.keys(m.heldOut)))].sort();
  const meanAuc = (m: ComparedModel) => {
    const values = folds.map((s) => m.heldOut[s]?.auc).filter((x): x is number => x !== undefined);
    return values.reduce((s, x) => s + x, 0) / values.length;
  };
  const clipSeconds = [...new Set(models.flatMap((m) => m.clips.map((c) => c.seconds)))].sort(
    (a, b) => a - b,
  );
  const validationRow = (m: ComparedModel) => {
    const o = m.validation.overall;
    return `| ${m.name} | ${fixed(o.auc)} / ${fixed(o.macc)} | ${fixed(o.sensitivity)} / ${fixed(o.specificity)} | ${fixed(m.threshold)} (${m.thresholdRule}) | ${fixed(o.ece)} | ${subsets
      .map((s) => pair(m.validation.perSubset[s]))
      .join(' | ')} |`;
  };
  const heldOutRow = (m: ComparedModel) =>
    `| ${m.name} | ${folds
      .map((s) => {
        const h = m.heldOut[s];
        return h ? `${pair(h)} (${fixed(h.sensitivity)} / ${fixed(h.specificity)})` : '-';
      })
      .join(' | ')} | ${fixed(meanAuc(m))} |`;
  const clipRow = (m: ComparedModel) =>
    `| ${m.name} | ${clipSeconds
      .map((s) => {
        const c = m.clips.find((clip) => clip.seconds === s);
        return c
          ? `${fixed(c.auc)} / ${fixed(c.macc)} (${fixed(c.sensitivity)} / ${fixed(c.specificity)})`
          : '-';
      })
      .join(' | ')} |`;
  const decisions = candidates.map((c) => ({ name: c.name, ...candidateMovesDefault(version, c) }));
  const moving = decisions.filter((d) => d.moves);
  return [
    `${report.issue}: ${report.variantsCompared} of the ${report.variantBudget} variants allowed were compared by leave-one-subset-out`,
    '(research/MODEL_RESEARCH.md). The best candidates beside this version, all measured the same way (the research path',
    "reproduces this version's validation figures above):",
    '',
    ...candidates.map((c) => `- **${c.name}**: ${c.description}`),
    '',
    "Validation (this version's own split; AUC / MAcc; calibration and threshold refitted per model):",
    '',
    `| model | AUC / MAcc | Se / Sp | threshold | ECE | ${subsets.join(' | ')} |`,
    `|---|---|---|---|---|${subsets.map(() => '---|').join('')}`,
    ...models.map(validationRow),
    '',
    `Leave one subset out (held-out AUC / MAcc (Se / Sp) at each fold's own threshold; ${report.foldRecipe}):`,
    '',
    `| model | ${folds.join(' | ')} | mean AUC |`,
    `|---|${folds.map(() => '---|').join('')}---|`,
    ...models.map(heldOutRow),
    '',
    "Short clips (the validation records' first seconds; AUC / MAcc (Se / Sp) at the model's threshold):",
    '',
    `| model | ${clipSeconds.map((s) => `${s} s`).join(' | ')} |`,
    `|---|${clipSeconds.map(() => '---|').join('')}`,
    ...models.map(clipRow),
    '',
    ...renderSegmentations(report, models),
    '',
    'How each is made:',
    '',
    '```',
    ...models.map((m) => `${m.name}: ${m.command}`),
    '```',
    '',
    `Reproduce the comparison: \`${report.command}\``,
    '',
    moving.length > 0
      ? `**${moving.map((d) => d.name).join(', ')} qualif${moving.length === 1 ? 'ies' : 'y'} to become the CLI default** (beats this version on validation and loses no left-out database).`
      : '**This version stays the CLI default.** The rule (beat it on validation without losing a left-out database, by held-out AUC) is not met:',
    ...(moving.length > 0 ? [] : ['', ...decisions.map((d) => `- ${d.name}: ${d.reasons.join('; ')}.`)]),
    '',
    'Left for the next attempt:',
    '',
    ...report.left.map((item) => `- ${item}`),
  ].join('\n');
}
