// Screening one file with a loaded screener, as a worker thread or the main thread does it.
import type { RecordingScreener } from '@heartbeat/model/screening';
import { errorCodeAndMessage } from './errors';
import { readRecordingFile } from './recording-file';
import type { PoolOutcome } from './screening-pool';

export async function screenFile(screener: RecordingScreener, path: string): Promise<PoolOutcome> {
  try {
    const bytes = await readRecordingFile(path);
    return { ok: true, result: await screener.screen(bytes) };
  } catch (error) {
    return { ok: false, ...errorCodeAndMessage(error) };
  }
}
