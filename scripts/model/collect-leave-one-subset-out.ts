// Gathers leave-one-subset-out training runs into <modelDir>/leave-one-subset-out.json and
// rewrites the model card.
//   node -r @swc-node/register scripts/model/collect-leave-one-subset-out.ts <modelDir> <runDir...>
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LEAVE_ONE_SUBSET_OUT_FILE, type LeaveOneSubsetOutResult, type TrainingReport, writeModelCardFile } from '@heartbeat/model';

const [modelDir, ...runDirs] = process.argv.slice(2);
if (!modelDir || runDirs.length === 0) {
  console.error('usage: collect-leave-one-subset-out.ts <modelDir> <runDir...>');
  process.exit(2);
}
const results: LeaveOneSubsetOutResult[] = runDirs
  .map((dir) => JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as TrainingReport)
  .filter((report) => report.heldOut)
  .map((report) => ({ subset: report.heldOut!.subset, heldOut: report.heldOut!.overall, inDistribution: report.validation.overall }))
  .sort((a, b) => a.subset.localeCompare(b.subset));
writeFileSync(join(modelDir, LEAVE_ONE_SUBSET_OUT_FILE), JSON.stringify(results, null, 2) + '\n');
writeModelCardFile(modelDir);
for (const r of results) {
  console.log(`${r.subset}: held-out AUC ${r.heldOut.auc.toFixed(3)} MAcc ${r.heldOut.macc.toFixed(3)} | in-distribution AUC ${r.inDistribution.auc.toFixed(3)} MAcc ${r.inDistribution.macc.toFixed(3)}`);
}
