// Completes a trained model version directory: ONNX export of the network, model card, manifest.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTfjsModel } from '../tfjs-runtime/tfjs-model-files';
import { loadCycleModelOf, ONNX_MODEL_FILE, readModelManifest, writeModelManifest } from '@heartbeat/model';
import { initTfBackend } from '../network/backend';
import { exportToOnnx } from '../network/onnx-export';
import {
  type CardTrainingReport,
  type LeaveOneSubsetOutResult,
  renderModelCard,
  type SegmentationScoreReport,
  type ShortClipReport,
  type SiteOperatingPointsReport,
} from './model-card';
import type { ResearchComparisonReport } from './research-comparison';

export const MODEL_CARD_FILE = 'MODEL_CARD.md';
export const LEAVE_ONE_SUBSET_OUT_FILE = 'leave-one-subset-out.json';
export const SITE_OPERATING_POINTS_FILE = 'site-operating-points.json';
/** The version's segmentation scored against hand-corrected annotations (research/segmentation-score.ts --card). */
export const SEGMENTATION_SCORE_FILE = 'segmentation-score.json';
/** Its validation records cut to their first seconds (scripts/model/short-clip-evaluation.ts --card). */
export const SHORT_CLIPS_FILE = 'short-clips.json';
/** The best candidate of a research issue beside this version (research/research-comparison.ts). */
export const RESEARCH_COMPARISON_FILE = 'research-comparison.json';

export async function finaliseModelDirectory(
  modelDir: string,
  options: { trainCommand: string },
): Promise<void> {
  await initTfBackend('auto');
  const model = await loadTfjsModel(modelDir);
  writeFileSync(join(modelDir, ONNX_MODEL_FILE), exportToOnnx(model));
  model.dispose();
  const manifest = readModelManifest(modelDir);
  manifest.artifacts = { ...manifest.artifacts, onnx: ONNX_MODEL_FILE, card: MODEL_CARD_FILE };
  manifest.training = { ...manifest.training, command: options.trainCommand };
  writeModelManifest(modelDir, manifest);
  writeModelCardFile(modelDir);
}

/** (Re)writes MODEL_CARD.md from the directory's manifest, metrics and leave-one-subset-out results. */
export function writeModelCardFile(modelDir: string): void {
  writeFileSync(join(modelDir, MODEL_CARD_FILE), renderModelCardOf(modelDir));
}

/** The model card the directory's files give (what MODEL_CARD.md must hold). */
export function renderModelCardOf(modelDir: string): string {
  const manifest = readModelManifest(modelDir);
  const training = JSON.parse(
    readFileSync(join(modelDir, manifest.artifacts.metrics ?? 'metrics.json'), 'utf8'),
  ) as CardTrainingReport;
  const losoFile = join(modelDir, LEAVE_ONE_SUBSET_OUT_FILE);
  const leaveOneSubsetOut = existsSync(losoFile)
    ? (JSON.parse(readFileSync(losoFile, 'utf8')) as LeaveOneSubsetOutResult[])
    : undefined;
  const siteFile = join(modelDir, SITE_OPERATING_POINTS_FILE);
  const siteOperatingPoints = existsSync(siteFile)
    ? (JSON.parse(readFileSync(siteFile, 'utf8')) as SiteOperatingPointsReport)
    : undefined;
  const trainCommand = String(
    manifest.training?.command ?? 'npx heartbeat train --data ../shared/data/physionet2016',
  );
  const cycleModel = loadCycleModelOf(modelDir, manifest)?.model;
  const optional = <T>(file: string): T | undefined =>
    existsSync(join(modelDir, file))
      ? (JSON.parse(readFileSync(join(modelDir, file), 'utf8')) as T)
      : undefined;
  return renderModelCard({
    manifest,
    training,
    leaveOneSubsetOut,
    siteOperatingPoints,
    trainCommand,
    cycleModelSpectrogramWindow: cycleModel?.spectrogramWindowLength,
    cycleModelFeatureSet: cycleModel?.featureSet,
    segmentation: optional<SegmentationScoreReport>(SEGMENTATION_SCORE_FILE),
    shortClips: optional<ShortClipReport>(SHORT_CLIPS_FILE),
    research: optional<ResearchComparisonReport>(RESEARCH_COMPARISON_FILE),
  });
}
