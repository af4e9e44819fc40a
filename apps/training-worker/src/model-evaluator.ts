// Measures a model version directory on a set of labelled recordings through the same screening
// path the inference workers use, so the figures the promotion policy compares are the product's.
import { readFile } from 'node:fs/promises';
import {
  binaryMetrics,
  loadRecordingScreener,
  type LabelledRecording,
  type ScoredRecord,
} from '@heartbeat/model';
import { datasetFingerprint } from '@heartbeat/model-training';
import type { EvaluationOnSet } from '@heartbeat/model-registry';

export interface ModelEvaluation extends EvaluationOnSet {
  version: string;
  specificity: number;
  auc: number;
  count: number;
  /** Recordings the model could not screen (decode errors), left out of the figures. */
  skipped: number;
}

export class ModelEvaluator {
  async evaluate(modelDir: string, recordings: readonly LabelledRecording[]): Promise<ModelEvaluation> {
    const screener = await loadRecordingScreener(modelDir, { backend: 'onnx' });
    const labels: number[] = [];
    const probabilities: number[] = [];
    let skipped = 0;
    try {
      for (const recording of recordings) {
        try {
          const result = await screener.screen(new Uint8Array(await readFile(recording.path)));
          labels.push(recording.label === 'abnormal' ? 1 : 0);
          probabilities.push(result.probability);
        } catch {
          skipped++;
        }
      }
    } finally {
      await screener.dispose();
    }
    const metrics = binaryMetrics(labels, probabilities, screener.manifest.decision.threshold);
    return {
      version: screener.manifest.version,
      evaluationFingerprint: datasetFingerprint([...recordings]),
      macc: metrics.macc,
      sensitivity: metrics.sensitivity,
      specificity: metrics.specificity,
      auc: metrics.auc,
      count: labels.length,
      skipped,
    };
  }

  /** Each recording's score (what site calibration refits the decision on). */
  async scoreRecords(modelDir: string, recordings: readonly LabelledRecording[]): Promise<ScoredRecord[]> {
    const screener = await loadRecordingScreener(modelDir, { backend: 'onnx' });
    const scored: ScoredRecord[] = [];
    try {
      for (const recording of recordings) {
        try {
          const result = await screener.screen(new Uint8Array(await readFile(recording.path)));
          scored.push({ id: recording.id, label: recording.label, score: result.score });
        } catch {
          // undecodable upload: left out of the calibration
        }
      }
    } finally {
      await screener.dispose();
    }
    return scored;
  }
}
