// Where a prediction job's bytes come from: the gateway's Redis handoff when it offered them
// (/predict, and batch files while the gateway's handoff budget lasts), object storage otherwise.
// A handoff that cannot be read is never fatal.
import type { PredictionJob, RecordingHandoff } from '@heartbeat/queue';

export type RecordingSourceKind = 'handoff' | 'storage';

export interface RecordingSourceDependencies {
  handoff: Pick<RecordingHandoff, 'take'>;
  storage: { getBuffer(key: string): Promise<Buffer> };
  onRead?: (source: RecordingSourceKind) => void;
  onHandoffError?: (error: Error) => void;
}

export class RecordingSource {
  constructor(private readonly deps: RecordingSourceDependencies) {}

  async read(job: Pick<PredictionJob, 'storageKey' | 'predictionId' | 'batchId'>): Promise<Buffer> {
    const handedOff =
      job.predictionId === undefined
        ? undefined
        : await this.deps.handoff.take(job.predictionId).catch((error: unknown) => {
            this.deps.onHandoffError?.(error as Error);
            return undefined;
          });
    if (handedOff) {
      this.deps.onRead?.('handoff');
      return handedOff;
    }
    const stored = await this.deps.storage.getBuffer(job.storageKey);
    this.deps.onRead?.('storage');
    return stored;
  }
}
