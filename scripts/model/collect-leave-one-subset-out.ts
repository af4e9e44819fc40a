// Gathers leave-one-subset-out training runs into <modelDir>/leave-one-subset-out.json and rewrites
// the model card. Site calibration on the left-out subsets is measured by site-operating-points.ts.
//   node -r @swc-node/register scripts/model/collect-leave-one-subset-out.ts <modelDir> <runDir...>
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readModelManifest } from '@heartbeat/model';
import {
  LEAVE_ONE_SUBSET_OUT_FILE,
  type LeaveOneSubsetOutResult,
  type TrainingReport,
  trainingLengthOf,
  writeModelCardFile,
} from '@heartbeat/model-training';

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
    stopped: {
      bestEpoch: report.bestEpoch,
      lastEpoch: report.history.length,
      because: report.stoppedBecause,
    },
  };
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
  console.log(
    `${r.subset}: held-out AUC ${f(r.heldOut.auc)} MAcc ${f(r.heldOut.macc)} | in-distribution AUC ${f(r.inDistribution.auc)} MAcc ${f(r.inDistribution.macc)}`,
  );
}
