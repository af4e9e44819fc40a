// Public surface of the network half of @heartbeat/model: backend selection, wasm training
// kernels, the CNN and its logit loss, and the ONNX exporter.
export { initTfBackend, activeTfBackend, type TfBackendPreference, type ActiveTfBackend } from './backend';
export { registerWasmTrainingKernels } from './wasm-kernels';
export {
  buildHeartSoundCnn,
  countMultiplyAccumulates,
  DEFAULT_BLOCK_FILTERS,
  networkInputShape,
  WINDOW_INPUT_SHAPE,
  type HeartSoundCnnOptions,
} from './cnn';
export {
  binaryAccuracyFromLogits,
  compileHeartSoundCnn,
  sigmoidCrossEntropyFromLogits,
  type CompileOptions,
} from './logit-loss';
export {
  exportToOnnx,
  ONNX_INPUT_NAME,
  ONNX_LOGIT_OUTPUT,
  ONNX_OPSET,
  ONNX_PROBABILITY_OUTPUT,
} from './onnx-export';
