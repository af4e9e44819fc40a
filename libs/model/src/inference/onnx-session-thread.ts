// The ONNX session of one screening on a thread of its own. Loading onnxruntime and creating a
// session take ~0.15-0.2 s of CPU, all of it synchronous JavaScript-thread work in onnxruntime-node;
// on a thread of its own it overlaps the first file's reading, decoding and features (the rest of a
// one-file `heartbeat classify`), and later the network runs while the next recording is prepared.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { OnnxClassifierOptions } from './onnx-window-classifier';
import type { WindowClassifier } from './window-classifier';

/** Asked of the session thread: logits of n windows. */
export interface SessionThreadRequest {
  id: number;
  batch: Float32Array;
  n: number;
}

export type SessionThreadReply =
  | { kind: 'ready'; backend: string }
  | { kind: 'failed'; error: string }
  | { kind: 'logits'; id: number; logits: Float32Array }
  | { kind: 'error'; id: number; error: string };

export interface SessionThreadData {
  modelPath: string;
  options: OnnxClassifierOptions;
}

export class OnnxSessionThread implements WindowClassifier {
  private readonly pending = new Map<
    number,
    { resolve: (l: Float32Array) => void; reject: (e: Error) => void }
  >();
  private nextId = 0;
  private name = 'onnxruntime (starting)';
  /** Settles when the thread's session exists (or failed to load: every prediction then rejects with why). */
  readonly ready: Promise<void>;

  private constructor(private readonly worker: Worker) {
    this.ready = new Promise((resolve, reject) => {
      const fail = (error: Error) => {
        reject(error);
        for (const waiting of this.pending.values()) waiting.reject(error);
        this.pending.clear();
      };
      worker.on('message', (reply: SessionThreadReply) => {
        if (reply.kind === 'ready') {
          this.name = reply.backend;
          resolve();
        } else if (reply.kind === 'failed') fail(new Error(reply.error));
        else {
          const waiting = this.pending.get(reply.id);
          this.pending.delete(reply.id);
          if (reply.kind === 'logits') waiting?.resolve(reply.logits);
          else waiting?.reject(new Error(reply.error));
        }
      });
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`the ONNX session thread exited (code ${code})`)));
    });
    this.ready.catch(() => undefined); // surfaced by predictLogits (and by whoever awaits ready)
  }

  /**
   * Starts the thread and returns at once: the session loads while the caller goes on. A model that
   * cannot be loaded rejects `ready` and every prediction.
   */
  static start(modelPath: string, options: OnnxClassifierOptions = {}): OnnxSessionThread {
    const worker = new Worker(join(__dirname, 'onnx-session-thread-entry.js'), {
      workerData: { modelPath, options } satisfies SessionThreadData,
      // onnxruntime's native code overflowed a worker thread's default 4 MB stack once (apps/cli).
      resourceLimits: { stackSizeMb: 16 },
    });

    return new OnnxSessionThread(worker);
  }

  /** 'onnxruntime-cpu' or 'onnxruntime-cuda' once the session exists. */
  get backend(): string {
    return this.name;
  }

  async predictLogits(batch: Float32Array, n: number): Promise<Float32Array> {
    await this.ready;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, batch, n } satisfies SessionThreadRequest);
    });
  }

  /** Ends the thread; predictions still waiting reject. `ready` stays as it was (it may never settle). */
  async dispose(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
    for (const waiting of this.pending.values())
      waiting.reject(new Error('the ONNX session thread was closed'));
    this.pending.clear();
  }
}
