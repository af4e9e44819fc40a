// Gathers leave-one-subset-out training runs into <modelDir>/leave-one-subset-out.json, measures
// site calibration on each left-out subset (refit on 30 of its records, scored on the rest), and
// rewrites the model card.
//   node -r @swc-node/register scripts/model/collect-leave-one-subset-out.ts <modelDir> <runDir...>
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  LEAVE_ONE_SUBSET_OUT_FILE,
  type LeaveOneSubsetOutResult,
  type TrainingReport,
  readModelManifest,
  readRecordScores,
  siteCalibrationExperiment,
  trainingLengthOf,
  writeModelCardFile,
} from '@heartbeat/model';

const SITE_CALIBRATION_RECORDS = 30;

const [modelDir, ...runDirs] = process.argv.slice(2);
if (!modelDir || runDirs.length === 0) {
  console.error('usage: collect-leave-one-subset-out.ts <modelDir> <runDir...>');
  process.exit(2);
}

function leaveOneSubsetOutResult(runDir: string): LeaveOneSubsetOutResult | undefined {
  const report = JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8')) as TrainingReport;
  if (!report.heldOut) return undefined;
  const manifest = readModelManifest(runDir);
  const result: LeaveOneSubsetOutResult = {
    subset: report.heldOut.subset,
    heldOut: report.heldOut.overall,
    inDistribution: report.validation.overall,
    trainingLength: trainingLengthOf(manifest),
    stopped: { bestEpoch: report.bestEpoch, lastEpoch: report.history.length, because: report.stoppedBecause },
  };
  const scoresFile = join(runDir, 'held-out-scores.json');
  if (existsSync(scoresFile)) {
    const records = readRecordScores(scoresFile);
    const experiment = siteCalibrationExperiment(records, manifest.decision, SITE_CALIBRATION_RECORDS);
    if (experiment.after) result.siteCalibrated = { ...experiment.after, calibrationRecords: experiment.calibrationRecords };
    else result.siteCalibrationRefused = experiment.refused;
    result.beforeSiteCalibrationOnSameRecords = experiment.before;
  }
  return result;
}

const results = runDirs
  .map(leaveOneSubsetOutResult)
  .filter((r): r is LeaveOneSubsetOutResult => r !== undefined)
  .sort((a, b) => a.subset.localeCompare(b.subset));
writeFileSync(join(modelDir, LEAVE_ONE_SUBSET_OUT_FILE), JSON.stringify(results, null, 2) + '\n');
writeModelCardFile(modelDir);
const f = (v: number) => v.toFixed(3);
for (const r of results) {
  const site = r.siteCalibrated
    ? ` | site-calibrated MAcc ${f(r.beforeSiteCalibrationOnSameRecords!.macc)} -> ${f(r.siteCalibrated.macc)}`
    : r.siteCalibrationRefused
      ? ` | site calibration refused: ${r.siteCalibrationRefused}`
      : '';
  console.log(`${r.subset}: held-out AUC ${f(r.heldOut.auc)} MAcc ${f(r.heldOut.macc)} | in-distribution AUC ${f(r.inDistribution.auc)} MAcc ${f(r.inDistribution.macc)}${site}`);
}
