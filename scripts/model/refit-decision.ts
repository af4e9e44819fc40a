// A new model version with the same network and a decision refitted on the source version's own
// validation scores (validation-scores.json): Platt calibration and a threshold under the given rule.
// Versions are immutable once shipped, so a changed decision is a new version.
//   npm exec -- node -r @swc-node/register scripts/model/refit-decision.ts <fromDir> <toDir> <version> [--threshold-rule site-balanced-macc|pooled-macc]
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readModelManifest, writeModelManifest } from '@heartbeat/model';
import {
  fitDecision,
  readRecordScores,
  reportFor,
  writeModelCardFile,
  type ThresholdRule,
  type TrainingReport,
} from '@heartbeat/model-training';

const [fromDir, toDir, version] = process.argv.slice(2);
const ruleFlag = process.argv.indexOf('--threshold-rule');
const rule = (ruleFlag >= 0 ? process.argv[ruleFlag + 1] : 'pooled-macc') as ThresholdRule;
if (!fromDir || !toDir || !version || !['site-balanced-macc', 'pooled-macc'].includes(rule)) {
  console.error(
    'usage: refit-decision.ts <fromDir> <toDir> <version> [--threshold-rule site-balanced-macc|pooled-macc]',
  );
  process.exit(2);
}

const source = readModelManifest(fromDir);
const scores = readRecordScores(join(fromDir, 'validation-scores.json'));
const decision = fitDecision(
  scores.map((s) => ({ recording: { label: s.label, subset: s.subset }, score: s.score })),
  rule,
);

mkdirSync(toDir, { recursive: true });
// The network and its validation scores are the source's; metrics, card and leave-one-subset-out results are redone.
for (const file of [
  source.artifacts.tfjs,
  'weights.bin',
  source.artifacts.onnx ?? 'model.onnx',
  'validation-scores.json',
]) {
  if (existsSync(join(fromDir, file))) copyFileSync(join(fromDir, file), join(toDir, file));
}
const metricsFile = source.artifacts.metrics ?? 'metrics.json';
const metrics = JSON.parse(readFileSync(join(fromDir, metricsFile), 'utf8')) as TrainingReport;
const records = scores.map((s) => ({ recording: { label: s.label, subset: s.subset }, score: s.score }));
writeFileSync(
  join(toDir, metricsFile),
  JSON.stringify(
    { ...metrics, version, validation: reportFor(records, decision.calibration, decision.threshold) },
    null,
    2,
  ) + '\n',
);
const { card: _card, ...artifacts } = source.artifacts;
writeModelManifest(toDir, {
  ...source,
  version,
  createdAt: new Date().toISOString(),
  decision: {
    ...source.decision,
    calibration: decision.calibration,
    threshold: decision.threshold,
    thresholdRule: decision.thresholdRule,
  },
  artifacts: { ...artifacts, card: 'MODEL_CARD.md' },
  training: {
    ...source.training,
    decisionRefittedFrom: source.version,
    decisionRefitCommand: `npm exec -- node -r @swc-node/register scripts/model/refit-decision.ts models/${basename(fromDir)} models/${version} ${version} --threshold-rule ${rule}`,
  },
});
writeModelCardFile(toDir);
const v = reportFor(records, decision.calibration, decision.threshold);
console.log(
  `${version}: threshold ${decision.threshold.toFixed(3)} (${decision.thresholdRule}); validation MAcc ${v.overall.macc.toFixed(3)} AUC ${v.overall.auc.toFixed(3)}`,
);
for (const [subset, m] of Object.entries(v.perSubset))
  console.log(
    `  ${subset}: MAcc ${m.macc.toFixed(3)} sensitivity ${m.sensitivity.toFixed(3)} specificity ${m.specificity.toFixed(3)}`,
  );
