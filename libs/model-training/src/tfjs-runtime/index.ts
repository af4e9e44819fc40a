// @heartbeat/model-training/tfjs-runtime: the window classifier on TensorFlow.js, which the serving
// lib's loadWindowClassifier imports only when a caller asks for backend 'tfjs'.
export { TfjsWindowClassifier } from './tfjs-window-classifier';
