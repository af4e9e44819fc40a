// Opens a model version directory with the requested runtime.
import { join } from 'node:path';
import { OnnxWindowClassifier, type OnnxClassifierOptions } from './onnx-window-classifier';
import { ONNX_MODEL_FILE, type WindowClassifier } from './window-classifier';

export type InferenceRuntime = 'onnx' | 'tfjs';

/** Which TensorFlow.js backend the tfjs runtime asks for (see @heartbeat/model-training's initTfBackend). */
export type TfBackendPreference = 'auto' | 'node-gpu' | 'node' | 'wasm' | 'cpu';

export interface TfjsClassifierOptions {
  tfBackend?: TfBackendPreference;
}

/**
 * The tfjs runtime lives with the network in @heartbeat/model-training (TensorFlow.js is a training
 * dependency); serving loads it only when a caller asks for backend 'tfjs'. A specifier in a variable:
 * SWC's CommonJS output requires the .ts source or the compiled .js alike, and the serving lib's
 * static import graph stays free of TensorFlow.js (test/serving-import-graph.test.ts).
 */
const TFJS_RUNTIME_MODULE = '@heartbeat/model-training/tfjs-runtime';

interface TfjsRuntimeModule {
  TfjsWindowClassifier: { load(modelDir: string, options: TfjsClassifierOptions): Promise<WindowClassifier> };
}

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
    // TensorFlow.js takes ~0.25 s of CPU to load: only the tfjs runtime pays for it.
    const { TfjsWindowClassifier } = (await import(TFJS_RUNTIME_MODULE)) as TfjsRuntimeModule;
    return TfjsWindowClassifier.load(modelDir, options);
  }
  throw new Error(`Unknown inference backend '${String(runtime)}': expected 'onnx' or 'tfjs'`);
}
