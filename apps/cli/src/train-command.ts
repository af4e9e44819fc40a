// `heartbeat train`: trains, then writes the ONNX export and model card next to the weights.
import { COMPACT_MODEL_INPUT, DEFAULT_MODEL_INPUT, type WindowNormalisation } from '@heartbeat/model';
import {
  DEFAULT_AUGMENTATION,
  finaliseModelDirectory,
  runTrainCommand,
  type ThresholdRule,
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
  const report = await runTrainCommand({
    dataDir: opts.data,
    outDir: opts.out,
    version: opts.version,
    holdOutSubset: opts.holdOut,
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
    log,
  });
  await finaliseModelDirectory(opts.out, {
    trainCommand: `npx heartbeat ${process.argv.slice(2).join(' ')}`,
  });
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
