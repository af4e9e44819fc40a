// @heartbeat/model/testing: helpers for tests here and in @heartbeat/model-training. Not part of the
// runtime API. (A model version directory for tests is @heartbeat/model-training/testing: making one
// takes the network and its ONNX export.)
export { syntheticHeartRecording } from '../cycle-model/synthetic-heart-recording.test-support';
