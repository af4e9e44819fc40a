// Training checkpoints in object storage: each epoch's header (JSON) and weights (binary) under the
// run's prefix, so a run resumes on any worker after a crash.
import { decodeCheckpoint, encodeCheckpoint, type TrainingCheckpoint } from '@heartbeat/model-training';
import type { CheckpointStore } from './training-run.service';

/** The object-storage calls checkpoints need (ObjectStorage satisfies it). */
export interface CheckpointObjects {
  putAt(key: string, body: Buffer | Uint8Array | string, options: { contentType?: string }): Promise<void>;
  getBuffer(key: string): Promise<Buffer>;
}

export const checkpointKey = (runId: string, epoch: number) =>
  `training-runs/${runId}/checkpoint-epoch-${epoch}.json`;

export class ObjectStorageCheckpointStore implements CheckpointStore {
  constructor(private readonly objects: CheckpointObjects) {}

  /** Writes the weights first: a header in storage always has its weights beside it. */
  async save(runId: string, checkpoint: TrainingCheckpoint): Promise<string> {
    const { header, weights } = encodeCheckpoint(checkpoint);
    const key = checkpointKey(runId, checkpoint.epoch);
    await this.objects.putAt(weightsKeyOf(key), weights, { contentType: 'application/octet-stream' });
    await this.objects.putAt(key, header, { contentType: 'application/json' });
    return key;
  }

  async load(key: string): Promise<TrainingCheckpoint> {
    const header = (await this.objects.getBuffer(key)).toString('utf8');
    return decodeCheckpoint(header, await this.objects.getBuffer(weightsKeyOf(key)));
  }
}

const weightsKeyOf = (headerKey: string) => headerKey.replace(/\.json$/, '.bin');
