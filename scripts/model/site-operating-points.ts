// What site calibration buys a hospital with a stethoscope the model never heard: for each
// leave-one-subset-out fold network, label 15 recordings of each class of the left-out database (30),
// fit the site's operating point as the product does (all 30 records, sensitivity first), and score
// the rest of that database with it, beside the fold network's own threshold. Several seeds draw
// different 30s. Writes <modelDir>/site-operating-points.json and rewrites the model card.
//   node -r @swc-node/register scripts/model/site-operating-points.ts <modelDir> <foldDir...>
// (scripts/model/site-operating-points.sh trains the folds first when they are missing.)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readModelManifest, siteCalibrationTrial } from '@heartbeat/model';
import {
  readRecordScores,
  SITE_OPERATING_POINTS_FILE,
  writeModelCardFile,
  type SiteOperatingPointsFold,
} from '@heartbeat/model-training';

const PER_CLASS = 15;
/** More labels per class, for how many a hospital should label (where the database has them). */
const MORE_PER_CLASS = [30, 50];
const SEEDS = Array.from({ length: 10 }, (_, i) => 2016 + i);

const [modelDir, ...foldDirs] = process.argv.slice(2);
if (!modelDir || foldDirs.length === 0) {
  console.error('usage: site-operating-points.ts <modelDir> <foldDir...>');
  process.exit(2);
}

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
const range = (values: number[]) => ({
  mean: mean(values),
  min: Math.min(...values),
  max: Math.max(...values),
});

function fold(dir: string, perClass = PER_CLASS): SiteOperatingPointsFold | undefined {
  const scoresFile = join(dir, 'held-out-scores.json');
  if (!existsSync(scoresFile)) {
    console.error(`${dir}: no held-out-scores.json (not a leave-one-subset-out run); skipped`);
    return undefined;
  }
  const manifest = readModelManifest(dir);
  const metrics = JSON.parse(
    readFileSync(join(dir, manifest.artifacts.metrics ?? 'metrics.json'), 'utf8'),
  ) as {
    validation: { overall: { sensitivity: number } };
    heldOut?: { subset: string; overall: { auc: number } };
  };
  const records = readRecordScores(scoresFile);
  const baseSensitivity = metrics.validation.overall.sensitivity;
  const trials = SEEDS.map((seed) =>
    siteCalibrationTrial(records, manifest.decision, { baseSensitivity, seed, perClass }),
  );
  const fitted = trials.filter((t) => t.after);
  const refusals: Record<string, number> = {};
  for (const t of trials) if (t.refused) refusals[t.refused.code] = (refusals[t.refused.code] ?? 0) + 1;
  const figures = (
    pick: (
      t: (typeof trials)[number],
    ) => { sensitivity: number; specificity: number; macc: number } | undefined,
    from: typeof trials,
  ) => {
    const rows = from
      .map(pick)
      .filter((m): m is { sensitivity: number; specificity: number; macc: number } => m !== undefined);
    return {
      sensitivity: range(rows.map((m) => m.sensitivity)),
      specificity: range(rows.map((m) => m.specificity)),
      macc: range(rows.map((m) => m.macc)),
    };
  };
  return {
    subset: metrics.heldOut?.subset ?? records[0]?.subset ?? dir,
    records: records.length,
    normal: records.filter((r) => r.label === 'normal').length,
    abnormal: records.filter((r) => r.label === 'abnormal').length,
    heldOutAuc: metrics.heldOut?.overall.auc ?? Number.NaN,
    baseSensitivity,
    labelled: trials[0]!.labelled,
    judgedOn: trials[0]!.before.count,
    seeds: SEEDS.length,
    fitted: fitted.length,
    refusals,
    uncalibratedAllSeeds: figures((t) => t.before, trials),
    uncalibratedFittedSeeds: figures((t) => t.before, fitted),
    calibrated: fitted.length > 0 ? figures((t) => t.after, fitted) : undefined,
    localOnLabelled:
      fitted.length > 0
        ? {
            sensitivity: range(fitted.map((t) => t.figures!.sensitivity)),
            specificity: range(fitted.map((t) => t.figures!.specificity)),
          }
        : undefined,
    trials: trials.map((t) => ({
      seed: t.seed,
      refused: t.refused?.code ?? null,
      before: { sensitivity: t.before.sensitivity, specificity: t.before.specificity, macc: t.before.macc },
      after: t.after
        ? { sensitivity: t.after.sensitivity, specificity: t.after.specificity, macc: t.after.macc }
        : null,
      localAuc: t.figures?.auc ?? null,
    })),
  };
}

const folds = foldDirs
  .map((dir) => fold(dir))
  .filter((f): f is SiteOperatingPointsFold => f !== undefined)
  .sort((a, b) => a.subset.localeCompare(b.subset));
// Only where the database has that many of each class beyond what stays out to judge.
const moreLabels = MORE_PER_CLASS.flatMap((perClass) =>
  foldDirs
    .map((dir) => fold(dir, perClass))
    .filter(
      (f): f is SiteOperatingPointsFold =>
        f !== undefined && f.labelled.normal === perClass && f.labelled.abnormal === perClass,
    )
    .map(({ trials: _trials, ...summary }) => ({ perClass, ...summary })),
).sort((a, b) => a.subset.localeCompare(b.subset) || a.perClass - b.perClass);
const report = {
  method: `${PER_CLASS} recordings of each class (at most two thirds of a class, so the rest can judge) drawn with seeds ${SEEDS[0]}-${SEEDS.at(-1)}`,
  foldNetworks: foldDirs,
  // How the fold networks were trained, as site-operating-points.sh says.
  foldRecipe: process.env.HEARTBEAT_FOLD_RECIPE ?? "see each fold directory's manifest",
  folds,
  moreLabels,
};
writeFileSync(join(modelDir, SITE_OPERATING_POINTS_FILE), JSON.stringify(report, null, 2) + '\n');
writeModelCardFile(modelDir);
const f = (v: number) => v.toFixed(3);
for (const r of folds) {
  const before = r.uncalibratedAllSeeds;
  const after = r.calibrated;
  console.log(
    `${r.subset}: ${r.records} records, labelled ${r.labelled.normal}+${r.labelled.abnormal}, fitted ${r.fitted}/${r.seeds}${Object.keys(r.refusals).length ? ` (refused: ${JSON.stringify(r.refusals)})` : ''} | ` +
      `own threshold Se ${f(before.sensitivity.mean)} Sp ${f(before.specificity.mean)} MAcc ${f(before.macc.mean)}` +
      (after
        ? ` | site Se ${f(after.sensitivity.mean)} (${f(after.sensitivity.min)}-${f(after.sensitivity.max)}) Sp ${f(after.specificity.mean)} MAcc ${f(after.macc.mean)}`
        : ''),
  );
}
for (const r of moreLabels)
  console.log(
    `${r.subset} with ${r.perClass} + ${r.perClass} labelled: fitted ${r.fitted}/${r.seeds}` +
      (r.calibrated
        ? ` | site Se ${f(r.calibrated.sensitivity.mean)} Sp ${f(r.calibrated.specificity.mean)} MAcc ${f(r.calibrated.macc.mean)}`
        : ''),
  );
