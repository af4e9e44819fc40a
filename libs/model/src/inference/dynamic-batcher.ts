// Dynamic batching, as Triton does it: windows from concurrent requests are gathered into one
// model call (up to maxBatchSize windows, or whatever arrived within maxWaitMs), and each request
// gets back exactly its own logits. One call at a time per classifier: while a batch runs, the
// next one fills up, so under load batches grow by themselves and the wait never adds latency.
import { context, ROOT_CONTEXT, trace, type Context, type Link } from '@opentelemetry/api';
import { WINDOW_VALUES } from '../input/model-input';
import type { WindowClassifier } from './window-classifier';

export interface DynamicBatcherOptions {
  /** Most windows per model call; a request with more windows is split over several calls. */
  maxBatchSize: number;
  /** How long the first queued window may wait for company before its batch runs anyway. */
  maxWaitMs: number;
  /** Values per window in the feature buffers (default: the model contract's 251 x 64). */
  valuesPerWindow?: number;
  /** Called after every model call, e.g. to feed a batch-size histogram. */
  onBatch?: (batch: { windows: number; requests: number; durationMs: number }) => void;
}

interface PendingRequest {
  features: Float32Array;
  logits: Float32Array;
  /** Windows not yet scored; the request resolves when this reaches 0. */
  remaining: number;
  /** Next window to hand to a batch. */
  nextWindow: number;
  windowCount: number;
  failed: boolean;
  /** The caller's trace context: its span is told which batch it joined (a no-op without tracing). */
  context: Context;
  resolve: (logits: Float32Array) => void;
  reject: (error: Error) => void;
}

interface Slice {
  request: PendingRequest;
  firstWindow: number;
  windows: number;
}

export class DynamicBatcher {
  private readonly queue: PendingRequest[] = [];
  private queuedWindows = 0;
  private running = false;
  private timer?: NodeJS.Timeout;
  private readonly valuesPerWindow: number;
  private idleWaiters: (() => void)[] = [];
  private batches = 0;

  constructor(
    private readonly classifier: Pick<WindowClassifier, 'predictLogits'>,
    private readonly options: DynamicBatcherOptions,
  ) {
    if (!Number.isInteger(options.maxBatchSize) || options.maxBatchSize < 1)
      throw new RangeError(`maxBatchSize must be a positive integer, got ${options.maxBatchSize}`);
    if (!(options.maxWaitMs >= 0)) throw new RangeError(`maxWaitMs must be >= 0, got ${options.maxWaitMs}`);
    this.valuesPerWindow = options.valuesPerWindow ?? WINDOW_VALUES;
  }

  /** Windows waiting for a model call (not counting the call in progress). */
  get pendingWindows(): number {
    return this.queuedWindows;
  }

  /** Logits for `windowCount` windows laid out back to back in `features`, scored alongside other requests. */
  predictLogits(features: Float32Array, windowCount: number): Promise<Float32Array> {
    // Exactly: features made for another model's input (another window shape) must not slip through.
    if (
      !Number.isInteger(windowCount) ||
      windowCount < 0 ||
      features.length !== windowCount * this.valuesPerWindow
    ) {
      return Promise.reject(
        new RangeError(
          `${windowCount} windows of this model's input hold ${windowCount * this.valuesPerWindow} values, got ${features.length}: were the features made with another model's input spec?`,
        ),
      );
    }
    if (windowCount === 0) return Promise.resolve(new Float32Array(0));
    return new Promise<Float32Array>((resolve, reject) => {
      this.queue.push({
        features,
        logits: new Float32Array(windowCount),
        remaining: windowCount,
        nextWindow: 0,
        windowCount,
        failed: false,
        context: context.active(),
        resolve,
        reject,
      });
      this.queuedWindows += windowCount;
      this.schedule();
    });
  }

  /** Resolves once nothing is queued or running (for draining a model before disposing it). */
  whenIdle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.running) return; // the running batch dispatches the next one when it ends
    if (this.queuedWindows >= this.options.maxBatchSize || this.options.maxWaitMs === 0) {
      // With no wait, still let requests queued in the same tick share the call.
      if (this.options.maxWaitMs === 0 && this.queuedWindows < this.options.maxBatchSize) {
        if (!this.timer) this.timer = setTimeout(() => this.dispatch(), 0);
        return;
      }
      this.dispatch();
      return;
    }
    if (!this.timer) this.timer = setTimeout(() => this.dispatch(), this.options.maxWaitMs);
  }

  private takeBatch(): Slice[] {
    const slices: Slice[] = [];
    let room = this.options.maxBatchSize;
    while (room > 0 && this.queue.length > 0) {
      const request = this.queue[0];
      const windows = Math.min(room, request.windowCount - request.nextWindow);
      slices.push({ request, firstWindow: request.nextWindow, windows });
      request.nextWindow += windows;
      room -= windows;
      this.queuedWindows -= windows;
      if (request.nextWindow === request.windowCount) this.queue.shift();
    }
    return slices;
  }

  private dispatch(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const slices = this.takeBatch();
    void this.run(slices).finally(() => {
      this.running = false;
      if (this.queue.length > 0) {
        // These requests already waited for the previous call: run them now, whatever their size.
        this.dispatch();
      } else {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
    });
  }

  private async run(slices: Slice[]): Promise<void> {
    const windows = slices.reduce((sum, slice) => sum + slice.windows, 0);
    const batch = this.assemble(slices, windows);
    const started = performance.now();
    const requests = new Set(slices.map((s) => s.request));
    // One span per model call, linked to the span of every request it serves; each of those spans
    // gets an event naming the batch it joined.
    const sequence = (this.batches += 1);
    const joined = {
      'heartbeat.model_batch.sequence': sequence,
      'heartbeat.model_batch.windows': windows,
      'heartbeat.model_batch.requests': requests.size,
    };
    const links: Link[] = [];
    for (const request of requests) {
      const span = trace.getSpan(request.context);
      span?.addEvent('joined model batch', joined);
      if (span) links.push({ context: span.spanContext() });
    }
    // A trace of its own (it serves several), whatever context the dispatch happens to run in.
    const span =
      links.length > 0
        ? trace.getTracer('heartbeat').startSpan('model.batch', { links, attributes: joined }, ROOT_CONTEXT)
        : undefined;
    let logits: Float32Array;
    try {
      logits = await this.classifier.predictLogits(batch, windows);
      if (logits.length !== windows)
        throw new Error(`The model returned ${logits.length} logits for ${windows} windows`);
    } catch (error) {
      for (const { request } of slices) {
        if (request.failed) continue;
        request.failed = true;
        this.abandon(request);
        request.reject(error as Error);
      }
      return;
    } finally {
      span?.end();
    }
    this.options.onBatch?.({
      windows,
      requests: requests.size,
      durationMs: performance.now() - started,
    });
    let offset = 0;
    for (const { request, firstWindow, windows: count } of slices) {
      if (!request.failed) {
        request.logits.set(logits.subarray(offset, offset + count), firstWindow);
        request.remaining -= count;
        if (request.remaining === 0) request.resolve(request.logits);
      }
      offset += count;
    }
  }

  /** A request that failed in one batch must not keep its other windows queued. */
  private abandon(request: PendingRequest): void {
    const index = this.queue.indexOf(request);
    if (index >= 0) {
      this.queue.splice(index, 1);
      this.queuedWindows -= request.windowCount - request.nextWindow;
    }
  }

  private assemble(slices: Slice[], windows: number): Float32Array {
    const size = this.valuesPerWindow;
    // The common case at low load: one whole request, scored from its own buffer without a copy.
    if (slices.length === 1 && slices[0].firstWindow === 0) {
      return slices[0].request.features.subarray(0, windows * size);
    }
    const batch = new Float32Array(windows * size);
    let offset = 0;
    for (const { request, firstWindow, windows: count } of slices) {
      batch.set(request.features.subarray(firstWindow * size, (firstWindow + count) * size), offset * size);
      offset += count;
    }
    return batch;
  }
}
