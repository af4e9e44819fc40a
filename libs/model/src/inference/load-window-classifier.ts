// Opens a model version directory with the requested runtime.
import { join } from 'node:path';
import { OnnxWindowClassifier, type OnnxClassifierOptions } from './onnx-window-classifier';
import { TfjsWindowClassifier, type TfjsClassifierOptions } from './tfjs-window-classifier';
import { ONNX_MODEL_FILE, type WindowClassifier } from './window-classifier';

export type InferenceRuntime = 'onnx' | 'tfjs';

export interface LoadWindowClassifierOptions extends OnnxClassifierOptions, TfjsClassifierOptions {
  /** Defaults to 'onnx', the faster runtime. */
  backend?: InferenceRuntime;
}

/** Loads `modelDir/model.onnx` (onnx) or `modelDir/model.json` + `weights.bin` (tfjs). */
export async function loadWindowClassifier(
  modelDir: string,
  options: LoadWindowClassifierOptions = {},
): Promise<WindowClassifier> {
  const runtime = options.backend ?? 'onnx';
  if (runtime === 'onnx') return OnnxWindowClassifier.create(join(modelDir, ONNX_MODEL_FILE), options);
  if (runtime === 'tfjs') return TfjsWindowClassifier.load(modelDir, options);
  throw new Error(`Unknown inference backend '${String(runtime)}': expected 'onnx' or 'tfjs'`);
}
