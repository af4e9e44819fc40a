import { describe, expect, it } from 'vitest';
import type { TrainingCheckpoint } from '@heartbeat/model-training';
import { ObjectStorageCheckpointStore, type CheckpointObjects } from './checkpoint-store';

class InMemoryObjects implements CheckpointObjects {
  readonly objects = new Map<string, { body: Buffer; contentType?: string }>();
  async putAt(key: string, body: Buffer | Uint8Array | string, { contentType }: { contentType?: string }) {
    this.objects.set(key, { body: Buffer.from(body), contentType });
  }
  async getBuffer(key: string) {
    const object = this.objects.get(key);
    if (!object) throw new Error(`no object ${key}`);
    return object.body;
  }
}

const checkpoint: TrainingCheckpoint = {
  epoch: 3,
  epochs: 10,
  history: [],
  shapes: [[2, 2]],
  weights: new Float32Array([0.5, -1.25, 3, 1e-7]),
};

describe('ObjectStorageCheckpointStore', () => {
  it("stores an epoch's header and weights under the run's prefix and returns the header's key", async () => {
    const objects = new InMemoryObjects();
    const key = await new ObjectStorageCheckpointStore(objects).save('run-1', checkpoint);
    expect(key).toBe('training-runs/run-1/checkpoint-epoch-3.json');
    expect([...objects.objects.keys()].sort()).toEqual([
      'training-runs/run-1/checkpoint-epoch-3.bin',
      'training-runs/run-1/checkpoint-epoch-3.json',
    ]);
    expect(objects.objects.get(key)?.contentType).toBe('application/json');
  });

  it('loads a saved checkpoint back with the same weights, bit for bit', async () => {
    const store = new ObjectStorageCheckpointStore(new InMemoryObjects());
    const loaded = await store.load(await store.save('run-1', checkpoint));
    expect(loaded).toEqual(checkpoint);
    expect(Array.from(loaded.weights)).toEqual(Array.from(checkpoint.weights));
  });
});
