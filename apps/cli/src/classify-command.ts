// `heartbeat classify <files or folders...>`: screens every recording with no services running.
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { listAudioFiles } from '@heartbeat/model/screening';
import {
  type OutputFormat,
  type ResultRow,
  csvHeader,
  formatCsvLine,
  formatJsonLine,
  formatTable,
  isFailed,
} from './output-format';
import { pairWfdbFiles } from './recording-file';
import { type Screening, ScreeningPool } from './screening-pool';

export interface ClassifyOptions {
  modelDir: string;
  format: OutputFormat;
  backend: 'onnx' | 'tfjs';
  workers?: number;
  progress: boolean;
}

export interface ConsoleStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export const EXIT_OK = 0;
export const EXIT_FATAL = 1;
export const EXIT_SOME_FILES_FAILED = 3;

/** Files to screen, in the order given; folders are searched recursively for supported audio. */
export function expandInputs(inputs: string[]): { files: string[]; missing: string[]; hadFolder: boolean } {
  const files: string[] = [];
  const missing: string[] = [];
  let hadFolder = false;
  for (const input of inputs) {
    if (!existsSync(input)) missing.push(input);
    else if (statSync(input).isDirectory()) {
      hadFolder = true;
      files.push(...listAudioFiles(input));
    } else files.push(input);
  }
  return { files: pairWfdbFiles(files, existsSync), missing, hadFolder };
}

export async function classifyCommand(
  inputs: string[],
  options: ClassifyOptions,
  io: ConsoleStreams,
): Promise<number> {
  const { files, missing, hadFolder } = expandInputs(inputs);
  const rows: ResultRow[] = missing.map((file) => ({
    file,
    code: 'FILE_NOT_FOUND',
    error: `File or folder not found: ${file}`,
  }));
  if (files.length === 0 && missing.length === 0) {
    io.stderr.write(
      `No supported recordings found in ${inputs.join(', ')} (looked for .wav .flac .mp3 .ogg .opus .hea).\n`,
    );
    return EXIT_FATAL;
  }

  let pool: Screening;
  try {
    // A worker thread loads its own model (~0.2 s of CPU): never more threads than files.
    const workers = options.workers ?? Math.min(files.length, availableParallelism());
    pool = await ScreeningPool.start({ modelDir: options.modelDir, backend: options.backend, workers });
  } catch (error) {
    io.stderr.write(`Cannot load the model from ${options.modelDir}: ${(error as Error).message}\n`);
    return EXIT_FATAL;
  }

  const streaming = options.format !== 'table';
  if (options.format === 'csv') io.stdout.write(csvHeader() + '\n');
  const emit = (row: ResultRow) => {
    if (options.format === 'jsonl') io.stdout.write(formatJsonLine(row) + '\n');
    else if (options.format === 'csv') io.stdout.write(formatCsvLine(row) + '\n');
  };
  rows.forEach((row) => streaming && emit(row));

  // cli-progress (and the readline it loads) only when a bar is drawn: ~20-40 ms of a one-file run.
  const bar =
    options.progress && (hadFolder || files.length > 1)
      ? new (await import('cli-progress')).SingleBar({
          stream: io.stderr,
          format: 'screening [{bar}] {value}/{total} recordings | {eta_formatted} left | {failed} failed',
          hideCursor: true,
        })
      : undefined;
  bar?.start(files.length, 0, { failed: 0 });

  // With one file the network loads while the file is prepared: a model that fails to load shows
  // here, after the screenings that needed it, and is reported as such instead of as file errors.
  const modelFailure = pool.ready.then(
    () => undefined,
    (error: Error) => error,
  );
  // Results come back in completion order; they are written in input order.
  const outcomes = new Array<ResultRow | undefined>(files.length);
  let nextToWrite = 0;
  let failed = 0;
  await Promise.all(
    files.map(async (file, index) => {
      const outcome = await pool.screen(file);
      if (!outcome.ok) {
        failed++;
        if (await modelFailure) return; // reported once below, not as this file's error
      }
      outcomes[index] = outcome.ok
        ? {
            file,
            label: outcome.result.label,
            probability: outcome.result.probability,
            quality: outcome.result.quality,
            windows: outcome.result.windows,
          }
        : { file, code: outcome.code, error: outcome.error };
      bar?.increment(1, { failed });
      while (nextToWrite < files.length && outcomes[nextToWrite]) {
        if (streaming) emit(outcomes[nextToWrite]!);
        nextToWrite++;
      }
    }),
  );
  bar?.stop();
  // Only a failed file can be the model's fault; then wait until the model has loaded or failed.
  const failure = failed > 0 ? await modelFailure : undefined;
  await pool.close();
  if (failure) {
    io.stderr.write(`Cannot load the model from ${options.modelDir}: ${failure.message}\n`);
    return EXIT_FATAL;
  }

  const all = [...rows, ...(outcomes as ResultRow[])];
  if (!streaming) io.stdout.write(formatTable(all) + '\n');
  const failures = all.filter(isFailed).length;
  if (failures > 0)
    io.stderr.write(`${failures} of ${all.length} files could not be screened; see their error rows.\n`);
  return failures > 0 ? EXIT_SOME_FILES_FAILED : EXIT_OK;
}
