// How a model holds up on short recordings: its validation records (recomputed from its manifest)
// cut to their first N seconds, screened through the ONNX backend (and the version's heart-cycle
// model, when it has one), AUC and best-threshold MAcc.
//   npm exec -- node -r @swc-node/register scripts/model/short-clip-evaluation.ts <dataDir> <modelDir...> [--card]
// --card also writes each version's short-clips.json (AUC, and MAcc, sensitivity and specificity at the
// version's own calibration and threshold) for its model card, and rewrites the card.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  binaryMetrics,
  calibratedProbability,
  aggregateWindowLogits,
  areaUnderRoc,
  cycleFeaturesOf,
  cycleModelLogit,
  loadCycleModelOf,
  recordingScore,
  discoverLabelledRecordings,
  loadWindowClassifier,
  modelInputOfManifest,
  readModelManifest,
  recordingWindows,
  thresholdMaximisingMacc,
} from '@heartbeat/model';
import {
  SHORT_CLIPS_FILE,
  writeModelCardFile,
  type ShortClipReport,
  loadConditionedSignals,
  validationRecordsOf,
} from '@heartbeat/model-training';

const card = process.argv.includes('--card');
const [dataDir, ...modelDirs] = process.argv.slice(2).filter((a) => a !== '--card');
if (!dataDir || modelDirs.length === 0) {
  console.error('usage: short-clip-evaluation.ts <dataDir> <modelDir...>');
  process.exit(2);
}

(async () => {
  const all = discoverLabelledRecordings(dataDir);
  for (const modelDir of modelDirs) {
    const manifest = readModelManifest(modelDir);
    const input = modelInputOfManifest(manifest);
    const { loaded } = await loadConditionedSignals(validationRecordsOf(manifest, all), {
      cacheDir: '.cache/conditioned',
    });
    const classifier = await loadWindowClassifier(modelDir, { backend: 'onnx' });
    const cycle = loadCycleModelOf(modelDir, manifest);
    const rows: ShortClipReport['rows'] = [];
    for (const seconds of [2, 3, 5, 0]) {
      const labels: number[] = [];
      const scores: number[] = [];
      for (const { recording, signal } of loaded) {
        const clip = seconds ? signal.subarray(0, seconds * 2000) : signal;
        const windows = recordingWindows(clip, input);
        const meanLogit = aggregateWindowLogits(
          await classifier.predictLogits(windows.features, windows.windowCount),
        );
        scores.push(
          recordingScore(
            meanLogit,
            cycle && {
              logit: cycleModelLogit(
                cycle.model,
                cycleFeaturesOf(
                  clip,
                  cycle.model.spectrogramWindowLength,
                  undefined,
                  undefined,
                  cycle.model.featureSet,
                ),
              ),
              weight: cycle.weight,
            },
          ),
        );
        labels.push(recording.label === 'abnormal' ? 1 : 0);
      }
      const length = seconds ? `first ${seconds} s` : 'whole recording';
      const shipped = binaryMetrics(
        labels,
        scores.map((score) => calibratedProbability(score, manifest.decision.calibration)),
        manifest.decision.threshold,
      );
      if (seconds)
        rows.push({
          seconds,
          auc: shipped.auc,
          macc: shipped.macc,
          sensitivity: shipped.sensitivity,
          specificity: shipped.specificity,
        });
      console.log(
        `${modelDir}  ${length.padEnd(15)}  records ${loaded.length}  AUC ${areaUnderRoc(labels, scores).toFixed(3)}  best MAcc ${thresholdMaximisingMacc(labels, scores).macc.toFixed(3)}` +
          `  own threshold: MAcc ${shipped.macc.toFixed(3)} Se ${shipped.sensitivity.toFixed(3)} Sp ${shipped.specificity.toFixed(3)}`,
      );
    }
    if (card) {
      const report: ShortClipReport = {
        command: `npm exec -- node -r @swc-node/register scripts/model/short-clip-evaluation.ts ${dataDir} ${modelDir} --card`,
        rows,
      };
      writeFileSync(join(modelDir, SHORT_CLIPS_FILE), JSON.stringify(report, null, 1) + '\n');
      writeModelCardFile(modelDir);
    }
    await classifier.dispose();
  }
})();
