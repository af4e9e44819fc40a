// Public surface of the inference half of @heartbeat/model: one WindowClassifier interface, its
// onnxruntime and tfjs implementations, and the tfjs model-directory reader/writer.
export {
  assertBatchSize,
  ONNX_MODEL_FILE,
  TFJS_MODEL_FILE,
  TFJS_WEIGHTS_FILE,
  type WindowClassifier,
} from './window-classifier';
export {
  OnnxWindowClassifier,
  type OnnxClassifierOptions,
  type OnnxExecutionProvider,
} from './onnx-window-classifier';
export { TfjsWindowClassifier, type TfjsClassifierOptions } from './tfjs-window-classifier';
export {
  fileSystemModelReader,
  fileSystemModelWriter,
  loadTfjsModel,
  saveTfjsModel,
} from './tfjs-model-files';
export {
  loadWindowClassifier,
  type InferenceRuntime,
  type LoadWindowClassifierOptions,
} from './load-window-classifier';
export { DynamicBatcher, type DynamicBatcherOptions } from './dynamic-batcher';
export { HotSwapSlot, type Lease } from './hot-swap-slot';
