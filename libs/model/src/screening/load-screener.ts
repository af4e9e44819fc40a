// Opens a model version directory as a RecordingScreener.
import { join } from 'node:path';
import type { DecodeOptions } from '@heartbeat/audio';
import { loadCycleModelOf } from '../cycle-model/cycle-model';
import type { InferenceRuntime } from '../inference/load-window-classifier';
import { OnnxSessionThread } from '../inference/onnx-session-thread';
import { ONNX_MODEL_FILE } from '../inference/window-classifier';
import { readModelManifest } from '../model-version/model-manifest';
import { RecordingScreener } from './recording-screener';

export interface LoadScreenerOptions {
  backend?: InferenceRuntime;
  /** Intra-op threads of the onnx session; 1 is fastest per core for this small network. */
  threads?: number;
  decodeOptions?: DecodeOptions;
  /**
   * onnx only: the session lives on a thread of its own (OnnxSessionThread) and this returns before it
   * is created, so loading onnxruntime overlaps reading and preparing the first recording, and the
   * network runs beside the heart-cycle model. For a process that screens on one thread (the CLI with
   * one file); a model that cannot be loaded then fails the first screening instead of this call.
   */
  sessionThread?: boolean;
}

// Loaded only without a session thread: onnxruntime-node stays off a thread that has one. (A
// specifier in a variable: SWC's CommonJS output requires the .ts source or the compiled .js alike.)
const CLASSIFIER_MODULE = '../inference/load-window-classifier';
const loadClassifierModule = () =>
  import(CLASSIFIER_MODULE) as Promise<typeof import('../inference/load-window-classifier')>;

export async function loadRecordingScreener(
  modelDir: string,
  options: LoadScreenerOptions = {},
): Promise<RecordingScreener> {
  const backend = options.backend ?? 'onnx';
  const intraOpNumThreads = options.threads ?? 1;
  // Started first: the session thread loads while this thread reads the manifest and cycle model.
  const sessionThread =
    options.sessionThread && backend === 'onnx'
      ? OnnxSessionThread.start(join(modelDir, ONNX_MODEL_FILE), { intraOpNumThreads })
      : undefined;
  try {
    const manifest = readModelManifest(modelDir);
    const cycleModel = loadCycleModelOf(modelDir, manifest);
    const classifier =
      sessionThread ??
      (await (await loadClassifierModule()).loadWindowClassifier(modelDir, { backend, intraOpNumThreads }));
    return new RecordingScreener(manifest, classifier, options.decodeOptions, cycleModel);
  } catch (error) {
    await sessionThread?.dispose();
    throw error;
  }
}
