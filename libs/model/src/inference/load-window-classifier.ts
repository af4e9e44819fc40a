// Opens a model version directory with the requested runtime.
import { join } from 'node:path';
import { OnnxWindowClassifier, type OnnxClassifierOptions } from './onnx-window-classifier';
import type { TfjsClassifierOptions } from './tfjs-window-classifier';
import { ONNX_MODEL_FILE, type WindowClassifier } from './window-classifier';

export type InferenceRuntime = 'onnx' | 'tfjs';

const TFJS_CLASSIFIER_MODULE = './tfjs-window-classifier';

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
  if (runtime === 'tfjs') {
    // TensorFlow.js takes ~0.25 s of CPU to load: only the tfjs runtime pays for it. (A specifier in a
    // variable: SWC's CommonJS output requires the .ts source or the compiled .js alike.)
    const { TfjsWindowClassifier } = (await import(
      TFJS_CLASSIFIER_MODULE
    )) as typeof import('./tfjs-window-classifier');
    return TfjsWindowClassifier.load(modelDir, options);
  }
  throw new Error(`Unknown inference backend '${String(runtime)}': expected 'onnx' or 'tfjs'`);
}
