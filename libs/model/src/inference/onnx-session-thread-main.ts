// Inside the ONNX session thread (onnx-session-thread.ts): creates the session, then answers
// requests for logits one at a time.
import { parentPort, workerData } from 'node:worker_threads';
import { OnnxWindowClassifier } from './onnx-window-classifier';
import type { SessionThreadData, SessionThreadReply, SessionThreadRequest } from './onnx-session-thread';

async function main(): Promise<void> {
  const port = parentPort!;
  const { modelPath, options } = workerData as SessionThreadData;
  let classifier: OnnxWindowClassifier;
  try {
    classifier = await OnnxWindowClassifier.create(modelPath, options);
  } catch (error) {
    // The thread stays until the owner ends it (dispose): ending itself while the owner terminates it
    // crashed the process once (onnxruntime's native clean-up running twice).
    const message = (error as Error).message;
    port.postMessage({ kind: 'failed', error: message } satisfies SessionThreadReply);
    port.on('message', ({ id }: SessionThreadRequest) =>
      port.postMessage({ kind: 'error', id, error: message } satisfies SessionThreadReply),
    );
    return;
  }
  port.postMessage({ kind: 'ready', backend: classifier.backend } satisfies SessionThreadReply);
  port.on('message', async ({ id, batch, n }: SessionThreadRequest) => {
    try {
      const logits = await classifier.predictLogits(batch, n);
      port.postMessage({ kind: 'logits', id, logits } satisfies SessionThreadReply, [
        logits.buffer as ArrayBuffer,
      ]);
    } catch (error) {
      port.postMessage({ kind: 'error', id, error: (error as Error).message } satisfies SessionThreadReply);
    }
  });
}

void main();
