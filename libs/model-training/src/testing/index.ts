// @heartbeat/model-training/testing: helpers for other libs' tests. Not part of the runtime API.
export { createUntrainedModelDirectory, type UntrainedModelOptions } from './untrained-model-directory';
