// `heartbeat evaluate`: screens labelled recordings through the same path as `classify` and prints
// the metrics per subset and overall.
import { writeFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import { discoverLabelledRecordings, readModelManifest } from '@heartbeat/model';
import {
  DEFAULT_TRAINING_PARAMS,
  evaluationReport,
  formatEvaluationTable,
  type ScreenedRecording,
  type SplitPolicy,
  splitPolicyOf,
  validationRecordsOf,
} from '@heartbeat/model-training';
import { ScreeningPool } from './screening-pool';

export async function evaluateCommand(opts: {
  data: string;
  model: string;
  out?: string;
  workers?: number;
  validationSplit?: boolean;
}): Promise<number> {
  const all = discoverLabelledRecordings(opts.data);
  const manifest = opts.validationSplit ? readModelManifest(opts.model) : undefined;
  // The split policy the version was trained with (its manifest's training.split), whoever trained it.
  const recordings = manifest ? validationRecordsOf(manifest, all) : all;
  if (manifest)
    process.stderr.write(
      `evaluating the model's own validation split (${describeSplitPolicy(splitPolicyOf(manifest.training, DEFAULT_TRAINING_PARAMS.seed))}): ${recordings.length} of ${all.length} recordings\n`,
    );
  const pool = await ScreeningPool.start({ modelDir: opts.model, backend: 'onnx', workers: opts.workers });
  const bar = process.stderr.isTTY
    ? new SingleBar({ stream: process.stderr, format: 'evaluating [{bar}] {value}/{total}' })
    : undefined;
  bar?.start(recordings.length, 0);
  const screened: ScreenedRecording[] = [];
  const failures: string[] = [];
  await Promise.all(
    recordings.map(async (recording) => {
      const outcome = await pool.screen(recording.path);
      if (outcome.ok) screened.push({ recording, result: outcome.result });
      else failures.push(`${recording.path}: ${outcome.code} ${outcome.error}`);
      bar?.increment();
    }),
  );
  bar?.stop();
  await pool.close();
  const report = evaluationReport(screened, pool.modelVersion, pool.threshold);
  process.stdout.write(formatEvaluationTable(report) + '\n');
  if (failures.length > 0)
    process.stderr.write(`${failures.length} recordings failed:\n${failures.join('\n')}\n`);
  if (opts.out) {
    const records = screened.map(({ recording, result }) => ({
      id: recording.id,
      subset: recording.subset,
      label: recording.label,
      prediction: result.label,
      probability: result.probability,
      meanLogit: result.meanLogit,
      cycleLogit: result.cycleLogit,
      score: result.score,
      quality: result.quality,
    }));
    writeFileSync(opts.out, JSON.stringify({ ...report, failures, records }, null, 2) + '\n');
  }
  return failures.length > 0 ? 3 : 0;
}

function describeSplitPolicy(policy: SplitPolicy): string {
  if (policy.kind === 'record-hash')
    return `record-hash split, ${policy.validationFraction} validation after ${policy.evaluationFraction} evaluation`;
  return `stratified split, ${policy.validationFraction} of each subset and label, seed ${policy.seed}${policy.holdOutSubset ? `, ${policy.holdOutSubset} left out` : ''}`;
}
