// The `heartbeat` command line. Thin wiring: each command lives in its own module, loaded when that
// command runs, so `classify` does not load TensorFlow.js and the training code (`train` does).
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_CYCLE_MODEL_WEIGHT, defaultModelDir } from '@heartbeat/model/screening';
import { tuneGarbageCollection } from '@heartbeat/telemetry/garbage-collection';

// Specifiers in variables: SWC turns import() into require() (which finds the .ts sources in
// development and the .js files in dist/), and TypeScript types each through a type query.
const COMMAND_MODULES = {
  classify: './classify-command',
  train: './train-command',
  evaluate: './evaluate-command',
};

const program = new Command()
  .name('heartbeat')
  .description('HeartBeat: screens heart sound recordings (phonocardiograms) and flags the abnormal ones.')
  .showHelpAfterError();

const fraction = (value: string) => {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('expected a number from 0 to 1');
  return n;
};

const nonNegativeNumber = (value: string) => {
  const n = Number(value);
  if (!(n >= 0 && Number.isFinite(n))) throw new InvalidArgumentError('expected a number of at least 0');
  return n;
};

const positiveInteger = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
};

program
  .command('classify')
  .description('classify recordings (files or folders, searched recursively) with no services running')
  .argument('<paths...>', 'audio files (WAV, FLAC, MP3, OGG, WFDB .hea) or folders')
  .option('--model <dir>', 'model version directory', defaultModelDir())
  .addOption(
    new Option('--format <format>', 'output format').choices(['table', 'jsonl', 'csv']).default('table'),
  )
  .addOption(new Option('--backend <backend>', 'inference backend').choices(['onnx', 'tfjs']).default('onnx'))
  .option('--workers <n>', 'worker threads (default: one per core)', positiveInteger)
  .option('--no-progress', 'no progress bar on stderr')
  .addHelpText(
    'after',
    '\nExit codes: 0 all screened, 3 some files failed (each has an error row), 1 nothing could run.',
  )
  .action(async (paths: string[], opts) => {
    const { classifyCommand } = (await import(
      COMMAND_MODULES.classify
    )) as typeof import('./classify-command');
    process.exitCode = await classifyCommand(
      paths,
      {
        modelDir: opts.model,
        format: opts.format,
        backend: opts.backend,
        workers: opts.workers,
        progress: opts.progress && process.stderr.isTTY === true,
      },
      { stdout: process.stdout, stderr: process.stderr },
    );
  });

program
  .command('train')
  .description(
    'train a model version on labelled recordings (PhysioNet layout or normal/ + abnormal/ folders)',
  )
  .requiredOption('--data <dir>', 'labelled data folder')
  .option('--out <dir>', 'where to write the model version directory', 'models/dev')
  .option('--version <semver>', 'semantic version of the new model', '0.0.0-dev')
  .option('--epochs <n>', 'maximum epochs', positiveInteger, 24)
  .option('--windows-per-epoch <n>', 'training windows drawn per epoch', positiveInteger, 1536)
  .option('--max-minutes <n>', 'stop after the epoch that passes this time budget', positiveInteger, 42)
  .option(
    '--patience <n>',
    'stop after this many epochs without a better validation score',
    positiveInteger,
    8,
  )
  .option('--seed <n>', 'random seed', positiveInteger, 2016)
  .option('--hold-out <subset>', 'leave this subset out of training and report on it')
  .option('--cache <dir>', 'cache of conditioned audio', '.cache/conditioned')
  .addOption(
    new Option('--threshold-rule <rule>', 'how the decision threshold is chosen on validation')
      .choices(['pooled-macc', 'site-balanced-macc'])
      .default('pooled-macc'),
  )
  .option(
    '--synthetic-murmurs <share>',
    'share of abnormal training windows drawn as normal recordings with a synthetic murmur',
    fraction,
    0,
  )
  .option(
    '--cycle-model-weight <w>',
    "weight of the heart-cycle model's logit in the recording's score (0: no heart-cycle model)",
    nonNegativeNumber,
    DEFAULT_CYCLE_MODEL_WEIGHT,
  )
  .addOption(
    new Option(
      '--input <spec>',
      'model input: default (64 log-mel bands 25-1000 Hz every 20 ms) or compact (32 bands 25-400 Hz every 40 ms, a quarter of the compute)',
    )
      .choices(['default', 'compact'])
      .default('default'),
  )
  .addOption(
    new Option(
      '--normalisation <over>',
      "each band's mean is removed over the whole window, or over the frames the heart-sound segmentation puts in S1 or S2",
    )
      .choices(['window', 'heart-sounds'])
      .default('window'),
  )
  .action(async (opts) => {
    const { trainCommand } = (await import(COMMAND_MODULES.train)) as typeof import('./train-command');
    process.exitCode = await trainCommand(opts);
  });

program
  .command('evaluate')
  .description('evaluate a model version on labelled recordings, per subset and overall')
  .requiredOption('--data <dir>', 'labelled data folder')
  .option('--model <dir>', 'model version directory', defaultModelDir())
  .option('--out <file>', 'also write the metrics and per-record results as JSON to this file')
  .option(
    '--validation-split',
    "only the model's own validation records (never trained on), recomputed from its manifest",
  )
  .option('--workers <n>', 'worker threads (default: one per core)', positiveInteger)
  .action(async (opts) => {
    const { evaluateCommand } = (await import(
      COMMAND_MODULES.evaluate
    )) as typeof import('./evaluate-command');
    process.exitCode = await evaluateCommand(opts);
  });

tuneGarbageCollection();
program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`heartbeat: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
