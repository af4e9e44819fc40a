// One screening worker thread: loads the model once, then screens the files it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import { loadRecordingScreener } from '@heartbeat/model/screening';
import type { WorkerReady, WorkerRequest } from './screening-pool';
import { screenFile } from './screen-file';

async function main(): Promise<void> {
  const port = parentPort!;
  let screener;
  try {
    screener = await loadRecordingScreener(workerData.modelDir, { backend: workerData.backend, threads: 1 });
  } catch (error) {
    port.postMessage({ ready: false, error: (error as Error).message } satisfies WorkerReady);
    return;
  }
  port.postMessage({
    ready: true,
    backend: screener.backend,
    modelVersion: screener.manifest.version,
    threshold: screener.manifest.decision.threshold,
  } satisfies WorkerReady);
  port.on('message', async (request: WorkerRequest) => {
    port.postMessage({ id: request.id, ...(await screenFile(screener, request.path)) });
  });
}

void main();
