// Screens many files on all cores: one worker thread per core, each with its own single-threaded
// model session, fed one file at a time so a long recording does not hold up the others. With one
// worker the main thread screens itself (a worker thread would load every module a second time, ~0.3 s
// of CPU, most of a one-file run) and only the ONNX session gets a thread of its own.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import {
  loadRecordingScreener,
  type RecordingScreener,
  type ScreeningResult,
} from '@heartbeat/model/screening';
import { screenFile } from './screen-file';

/**
 * Old-generation size (MB) a screening worker thread's heap starts with. V8 otherwise starts it at a
 * few MB above the ~10 MB live heap, and the per-recording arrays (a few MB each, mostly outside the
 * heap) then trigger a full mark-compact every ~5 recordings: with 128 the 186-recording subset took
 * ~20 % less CPU (bench/README.md, issue 28). The flag is read by each isolate created after it is set.
 */
const WORKER_INITIAL_OLD_SPACE_MB = 128;

export interface ScreeningPoolOptions {
  modelDir: string;
  backend: 'onnx' | 'tfjs';
  workers?: number;
}

export type PoolOutcome = { ok: true; result: ScreeningResult } | { ok: false; code: string; error: string };

export interface WorkerRequest {
  id: number;
  path: string;
}

export type WorkerReply = { id: number } & PoolOutcome;

export type WorkerReady =
  { ready: true; backend: string; modelVersion: string; threshold: number } | { ready: false; error: string };

/** What the commands screen with: a pool of worker threads, or the main thread. */
export interface Screening {
  readonly backend: string;
  readonly modelVersion: string;
  readonly threshold: number;
  /** Rejects when the model's network cannot be loaded after all (it may load while the first files are read). */
  readonly ready: Promise<void>;
  screen(path: string): Promise<PoolOutcome>;
  close(): Promise<void>;
}

/** The screener of the main thread; files are screened one after another. */
class InThreadScreening implements Screening {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly screener: RecordingScreener) {}

  get backend(): string {
    return this.screener.backend;
  }

  get modelVersion(): string {
    return this.screener.manifest.version;
  }

  get threshold(): number {
    return this.screener.manifest.decision.threshold;
  }

  get ready(): Promise<void> {
    return this.screener.ready;
  }

  screen(path: string): Promise<PoolOutcome> {
    const outcome = this.queue.then(() => screenFile(this.screener, path));
    this.queue = outcome;
    return outcome;
  }

  async close(): Promise<void> {
    await this.screener.dispose();
  }
}

export class ScreeningPool implements Screening {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { request: WorkerRequest; resolve: (outcome: PoolOutcome) => void }[] = [];
  private readonly pending = new Map<number, (outcome: PoolOutcome) => void>();
  private nextId = 0;
  backend = '';
  modelVersion = '';
  threshold = Number.NaN;
  readonly ready = Promise.resolve(); // start() resolves once every worker has its model

  private constructor() {}

  static async start(options: ScreeningPoolOptions): Promise<Screening> {
    const count = Math.max(1, options.workers ?? availableParallelism());
    if (count === 1)
      return new InThreadScreening(
        await loadRecordingScreener(options.modelDir, {
          backend: options.backend,
          threads: 1,
          // The ONNX session loads on its own thread while the first file is read and prepared here.
          sessionThread: true,
        }),
      );
    setFlagsFromString(`--initial-old-space-size=${WORKER_INITIAL_OLD_SPACE_MB}`);
    const pool = new ScreeningPool();
    await Promise.all(Array.from({ length: count }, () => pool.spawn(options)));
    return pool;
  }

  private spawn(options: ScreeningPoolOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(join(__dirname, 'screening-worker.js'), {
        workerData: { modelDir: options.modelDir, backend: options.backend },
        // onnxruntime's native code overflowed a worker thread's default 4 MB stack (a segfault seen
        // with ~300 paths on the command line; the recursion is inside onnxruntime).
        resourceLimits: { stackSizeMb: 16 },
      });
      worker.once('message', (ready: WorkerReady) => {
        if (!ready.ready) {
          reject(new Error(ready.error));
          return;
        }
        this.backend = ready.backend;
        this.modelVersion = ready.modelVersion;
        this.threshold = ready.threshold;
        worker.on('message', (reply: WorkerReply) => this.onReply(worker, reply));
        this.workers.push(worker);
        this.release(worker);
        resolve();
      });
      worker.once('error', reject);
    });
  }

  screen(path: string): Promise<PoolOutcome> {
    return new Promise((resolve) => {
      this.queue.push({ request: { id: this.nextId++, path }, resolve });
      const worker = this.idle.pop();
      if (worker) this.release(worker);
    });
  }

  private onReply(worker: Worker, reply: WorkerReply): void {
    const resolve = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    const { id: _id, ...outcome } = reply;
    resolve?.(outcome as PoolOutcome);
    this.release(worker);
  }

  private release(worker: Worker): void {
    const next = this.queue.shift();
    if (!next) {
      this.idle.push(worker);
      return;
    }
    this.pending.set(next.request.id, next.resolve);
    worker.postMessage(next.request);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
