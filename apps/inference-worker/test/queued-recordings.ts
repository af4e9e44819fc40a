// Test support for the worker's integration tests: stores a recording the way the gateway does
// (bytes in S3, a recordings row and a pending prediction) and queues its prediction job.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PredictionsRepository, RecordingsRepository, type Database } from '@heartbeat/db';
import type { JobQueue } from '@heartbeat/queue';
import type { ObjectStorage } from '@heartbeat/storage';

export const FIXTURES = path.resolve(__dirname, '../../../libs/audio/test/fixtures');

export class QueuedRecordings {
  constructor(
    private readonly storage: ObjectStorage,
    private readonly db: Database,
    private readonly queue: JobQueue<'predictions'>,
  ) {}

  async upload(bytes: Buffer, fileName: string, batchId?: string) {
    const stored = await this.storage.putBuffer(bytes);
    const recording = await new RecordingsRepository(this.db).create({
      storageKey: stored.key,
      sha256: stored.sha256,
      originalFileName: fileName,
      format: path.extname(fileName).slice(1) || 'unknown',
      sizeBytes: stored.size,
    });
    const prediction = await new PredictionsRepository(this.db).create({
      recordingId: recording.id,
      batchId,
    });
    return { recording, prediction, storageKey: stored.key };
  }

  /** Uploads a fixture (or the given bytes) and queues its job, on this helper's queue unless `on` says otherwise. */
  async enqueue(
    fileName: string,
    options: { bytes?: Buffer; batchId?: string; on?: JobQueue<'predictions'> } = {},
  ) {
    const bytes = options.bytes ?? (await readFile(path.join(FIXTURES, fileName)));
    const { recording, prediction, storageKey } = await this.upload(bytes, fileName, options.batchId);
    const job = await (options.on ?? this.queue).add({
      recordingId: recording.id,
      storageKey,
      predictionId: prediction.id,
      batchId: options.batchId,
      requestedAt: new Date().toISOString(),
    });
    return { job, predictionId: prediction.id };
  }
}
