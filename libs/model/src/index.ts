// @heartbeat/model: the network, its training and evaluation, model version directories, and the
// record-level screening path shared by the CLI and the inference worker.
export * from './network';
export * from './inference';
export * from './data/labelled-recordings';
export * from './data/split';
export * from './metrics/binary-metrics';
export * from './input/model-input';
export * from './training/augmentation';
export * from './training/conditioned-signals';
export * from './training/random';
export * from './training/record-decision';
export * from './training/site-calibration';
export * from './training/trainer';
export * from './training/train-command';
export * from './registry/bundled-models';
export * from './registry/model-card';
export * from './registry/model-manifest';
export * from './registry/model-directory';
export * from './screening/recording-screener';
export * from './screening/load-screener';
export * from './evaluation/evaluation-report';
export * from './training/synthetic-murmur';
export * from './cycle-model/gradient-boosting';
export * from './cycle-model/cycle-model';
export * from './cycle-model/cycle-model-training';
