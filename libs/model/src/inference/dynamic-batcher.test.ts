import { describe, expect, it } from 'vitest';
import { DynamicBatcher } from './dynamic-batcher';

// Windows of 2 values; the fake model's logit for a window is the sum of its values, so every
// request can check it got back exactly its own windows in order.
const VALUES = 2;

class SummingClassifier {
  readonly calls: number[] = [];
  gate?: Promise<void>;
  failNext?: Error;

  async predictLogits(batch: Float32Array, n: number): Promise<Float32Array> {
    this.calls.push(n);
    await this.gate;
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    const logits = new Float32Array(n);
    for (let i = 0; i < n; i++) logits[i] = batch[i * VALUES] + batch[i * VALUES + 1];
    return logits;
  }
}

/** A request of `windows` windows whose logits will be first, first+1, ... */
function request(first: number, windows: number): { features: Float32Array; expected: number[] } {
  const features = new Float32Array(windows * VALUES);
  const expected: number[] = [];
  for (let i = 0; i < windows; i++) {
    features[i * VALUES] = first + i;
    expected.push(first + i);
  }
  return { features, expected };
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('DynamicBatcher', () => {
  it('scores concurrent requests in one model call and gives each its own logits', async () => {
    const classifier = new SummingClassifier();
    const batcher = new DynamicBatcher(classifier, {
      maxBatchSize: 32,
      maxWaitMs: 20,
      valuesPerWindow: VALUES,
    });
    const requests = [request(0, 3), request(100, 1), request(200, 4)];
    const results = await Promise.all(
      requests.map((r) => batcher.predictLogits(r.features, r.expected.length)),
    );
    expect(classifier.calls).toEqual([8]);
    results.forEach((logits, i) => expect(Array.from(logits)).toEqual(requests[i].expected));
  });

  it('runs a batch as soon as it reaches maxBatchSize windows, without waiting', async () => {
    const classifier = new SummingClassifier();
    const batcher = new DynamicBatcher(classifier, {
      maxBatchSize: 4,
      maxWaitMs: 60_000,
      valuesPerWindow: VALUES,
    });
    const a = request(0, 2);
    const b = request(10, 2);
    const logits = await Promise.all([
      batcher.predictLogits(a.features, 2),
      batcher.predictLogits(b.features, 2),
    ]);
    expect(classifier.calls).toEqual([4]);
    expect(logits.map((l) => Array.from(l))).toEqual([a.expected, b.expected]);
  });

  it('runs a lone request after maxWaitMs', async () => {
    const classifier = new SummingClassifier();
    const batcher = new DynamicBatcher(classifier, {
      maxBatchSize: 32,
      maxWaitMs: 30,
      valuesPerWindow: VALUES,
    });
    const started = performance.now();
    const r = request(5, 2);
    expect(Array.from(await batcher.predictLogits(r.features, 2))).toEqual(r.expected);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('splits a request longer than maxBatchSize over several calls and reassembles it in order', async () => {
    const classifier = new SummingClassifier();
    const batcher = new DynamicBatcher(classifier, {
      maxBatchSize: 4,
      maxWaitMs: 0,
      valuesPerWindow: VALUES,
    });
    const r = request(0, 10);
    expect(Array.from(await batcher.predictLogits(r.features, 10))).toEqual(r.expected);
    expect(classifier.calls).toEqual([4, 4, 2]);
  });

  it('fills the next call with what arrived while the model was busy', async () => {
    const classifier = new SummingClassifier();
    const busy = gate();
    classifier.gate = busy.promise;
    const batcher = new DynamicBatcher(classifier, {
      maxBatchSize: 8,
      maxWaitMs: 0,
      valuesPerWindow: VALUES,
    });
    const first = batcher.predictLogits(request(0, 1).features, 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const later = [request(10, 2), request(20, 3)];
    const laterResults = later.map((r) => batcher.predictLogits(r.features, r.expected.length));
    expect(batcher.pendingWindows).toBe(5);
    busy.open();
    await first;
    const results = await Promise.all(laterResults);
    expect(classifier.calls).toEqual([1, 5]);
    results.forEach((logits, i) => expect(Array.from(logits)).toEqual(later[i].expected));
  });

  it('rejects every request of a failed call, and keeps serving afterwards', async () => {
    const classifier = new SummingClassifier();
    classifier.failNext = new Error('session lost');
    const batcher = new DynamicBatcher(classifier, {
      maxBatchSize: 32,
      maxWaitMs: 5,
      valuesPerWindow: VALUES,
    });
    const failing = [request(0, 2), request(5, 1)].map((r) =>
      batcher.predictLogits(r.features, r.expected.length),
    );
    for (const promise of failing) await expect(promise).rejects.toThrow('session lost');
    const r = request(7, 1);
    expect(Array.from(await batcher.predictLogits(r.features, 1))).toEqual([7]);
  });

  it('drops the remaining windows of a split request whose first part failed', async () => {
    const classifier = new SummingClassifier();
    classifier.failNext = new Error('boom');
    const batcher = new DynamicBatcher(classifier, {
      maxBatchSize: 2,
      maxWaitMs: 0,
      valuesPerWindow: VALUES,
    });
    await expect(batcher.predictLogits(request(0, 6).features, 6)).rejects.toThrow('boom');
    await batcher.whenIdle();
    expect(classifier.calls).toEqual([2]);
    expect(batcher.pendingWindows).toBe(0);
  });

  it('reports each call to onBatch with its windows and requests', async () => {
    const seen: { windows: number; requests: number }[] = [];
    const batcher = new DynamicBatcher(new SummingClassifier(), {
      maxBatchSize: 32,
      maxWaitMs: 5,
      valuesPerWindow: VALUES,
      onBatch: ({ windows, requests }) => seen.push({ windows, requests }),
    });
    await Promise.all([
      batcher.predictLogits(request(0, 2).features, 2),
      batcher.predictLogits(request(0, 3).features, 3),
    ]);
    expect(seen).toEqual([{ windows: 5, requests: 2 }]);
  });

  it('answers zero windows at once and rejects a buffer that does not hold exactly its windows', async () => {
    const classifier = new SummingClassifier();
    const batcher = new DynamicBatcher(classifier, {
      maxBatchSize: 4,
      maxWaitMs: 0,
      valuesPerWindow: VALUES,
    });
    expect(await batcher.predictLogits(new Float32Array(0), 0)).toHaveLength(0);
    await expect(batcher.predictLogits(new Float32Array(3), 2)).rejects.toThrow(
      /2 windows of this model's input hold 4 values, got 3/,
    );
    // Windows of a larger input (another model's features) are refused, not silently cut.
    await expect(batcher.predictLogits(new Float32Array(8), 2)).rejects.toThrow(/hold 4 values, got 8/);
    expect(classifier.calls).toEqual([]);
  });

  it('refuses a batch size below one', () => {
    expect(() => new DynamicBatcher(new SummingClassifier(), { maxBatchSize: 0, maxWaitMs: 0 })).toThrow(
      /maxBatchSize/,
    );
  });
});
