// Decodes and conditions every recording once and caches the 2 kHz signal on disk, so repeated
// training runs (and the leave-one-subset-out folds) skip decoding.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAudio, prepareSignal } from '@heartbeat/audio';
import type { LabelledRecording } from '@heartbeat/model';

/** Bump when decoding or conditioning changes, so stale caches are not reused. */
const CONDITIONING_VERSION = 'v1';

export interface ConditionedRecording {
  recording: LabelledRecording;
  signal: Float32Array;
}

export interface ConditioningFailure {
  recording: LabelledRecording;
  error: string;
}

export async function loadConditionedSignals(
  recordings: LabelledRecording[],
  options: { cacheDir?: string; onProgress?: (done: number, total: number) => void } = {},
): Promise<{ loaded: ConditionedRecording[]; failed: ConditioningFailure[] }> {
  if (options.cacheDir) mkdirSync(options.cacheDir, { recursive: true });
  const loaded: ConditionedRecording[] = [];
  const failed: ConditioningFailure[] = [];
  for (const [index, recording] of recordings.entries()) {
    try {
      loaded.push({ recording, signal: await conditionedSignal(recording.path, options.cacheDir) });
    } catch (error) {
      failed.push({ recording, error: error instanceof Error ? error.message : String(error) });
    }
    options.onProgress?.(index + 1, recordings.length);
  }
  return { loaded, failed };
}

async function conditionedSignal(path: string, cacheDir?: string): Promise<Float32Array> {
  const cacheFile = cacheDir ? join(cacheDir, `${cacheKey(path)}.f32`) : undefined;
  if (cacheFile && existsSync(cacheFile)) {
    const bytes = readFileSync(cacheFile);
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }
  const decoded = await decodeAudio(new Uint8Array(readFileSync(path)));
  const signal = prepareSignal(decoded);
  if (cacheFile) {
    // Written aside and renamed into place: another training process sharing the cache (parallel
    // leave-one-subset-out folds) must never read a file that is still being written.
    const partial = `${cacheFile}.${process.pid}.partial`;
    writeFileSync(partial, new Uint8Array(signal.buffer, signal.byteOffset, signal.byteLength));
    renameSync(partial, cacheFile);
  }
  return signal;
}

function cacheKey(path: string): string {
  const stat = statSync(path);
  return createHash('sha1')
    .update(`${CONDITIONING_VERSION}\n${path}\n${stat.size}\n${stat.mtimeMs}`)
    .digest('hex');
}
