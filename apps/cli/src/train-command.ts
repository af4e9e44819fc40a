// `heartbeat train`: a model version from a data folder through the one training pipeline
// (trainModelVersion, as the training worker), with the stratified split and the ONNX export and
// model card written next to the weights. Ctrl-C stops it between batches.
import { join } from 'node:path';
import {
  COMPACT_MODEL_INPUT,
  DEFAULT_MODEL_INPUT,
  discoverLabelledRecordings,
  type WindowNormalisation,
} from '@heartbeat/model';
import {
  DEFAULT_AUGMENTATION,
  DEFAULT_VALIDATION_FRACTION,
  saveTfjsModel,
  type ThresholdRule,
  trainModelVersion,
} from '@heartbeat/model-training';

export async function trainCommand(opts: {
  data: string;
  out: string;
  version: string;
  epochs: number;
  windowsPerEpoch: number;
  maxMinutes: number;
  patience: number;
  seed: number;
  holdOut?: string;
  cache: string;
  syntheticMurmurs: number;
  thresholdRule: ThresholdRule;
  input: 'default' | 'compact';
  normalisation: WindowNormalisation;
  cycleModelWeight: number;
}): Promise<number> {
  const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const stop = new AbortController();
  const onInterrupt = () => {
    if (stop.signal.aborted) process.exit(130);
    log('stopping after the current batch (Ctrl-C again to quit at once)');
    stop.abort(new Error('training stopped (Ctrl-C)'));
  };
  process.once('SIGINT', onInterrupt);
  const { report } = await trainModelVersion({
    recordings: discoverLabelledRecordings(opts.data),
    split: {
      kind: 'stratified',
      validationFraction: DEFAULT_VALIDATION_FRACTION,
      seed: opts.seed,
      holdOutSubset: opts.holdOut ?? null,
    },
    outDir: opts.out,
    version: opts.version,
    cacheDir: opts.cache,
    modelInput: {
      ...(opts.input === 'compact' ? COMPACT_MODEL_INPUT : DEFAULT_MODEL_INPUT),
      normalisation: opts.normalisation,
    },
    cycleModelWeight: opts.cycleModelWeight,
    params: {
      epochs: opts.epochs,
      windowsPerEpoch: opts.windowsPerEpoch,
      maxMinutes: opts.maxMinutes,
      patience: opts.patience,
      seed: opts.seed,
      augmentation: { ...DEFAULT_AUGMENTATION, syntheticMurmurProbability: opts.syntheticMurmurs },
      thresholdRule: opts.thresholdRule,
    },
    trainCommand: `npx heartbeat ${process.argv.slice(2).join(' ')}`,
    signal: stop.signal,
    // The best network so far, readable while a long run goes on.
    onImproved: (model) => saveTfjsModel(model, join(opts.out, 'checkpoint')),
    log,
  }).finally(() => process.off('SIGINT', onInterrupt));
  const v = report.validation.overall;
  log(
    `validation: MAcc ${v.macc.toFixed(3)} AUC ${v.auc.toFixed(3)} sensitivity ${v.sensitivity.toFixed(3)} specificity ${v.specificity.toFixed(3)}`,
  );
  if (report.heldOut) {
    const h = report.heldOut.overall;
    log(`held-out ${report.heldOut.subset}: MAcc ${h.macc.toFixed(3)} AUC ${h.auc.toFixed(3)}`);
  }
  log(`model written to ${opts.out}`);
  return 0;
}
