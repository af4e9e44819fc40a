// Opens a model version directory as a RecordingScreener.
import type { DecodeOptions } from '@heartbeat/audio';
import { loadCycleModelOf } from '../cycle-model/cycle-model';
import { loadWindowClassifier, type InferenceRuntime } from '../inference/load-window-classifier';
import { readModelManifest } from '../model-version/model-manifest';
import { RecordingScreener } from './recording-screener';

export interface LoadScreenerOptions {
  backend?: InferenceRuntime;
  /** Intra-op threads of the onnx session; 1 is fastest per core for this small network. */
  threads?: number;
  decodeOptions?: DecodeOptions;
}

export async function loadRecordingScreener(
  modelDir: string,
  options: LoadScreenerOptions = {},
): Promise<RecordingScreener> {
  const manifest = readModelManifest(modelDir);
  const cycleModel = loadCycleModelOf(modelDir, manifest);
  const classifier = await loadWindowClassifier(modelDir, {
    backend: options.backend ?? 'onnx',
    intraOpNumThreads: options.threads ?? 1,
  });
  return new RecordingScreener(manifest, classifier, options.decodeOptions, cycleModel);
}
