// What the gateway knows about inference workers: the presence records they keep fresh in Redis.
// "Model loaded" in /health means at least one live worker reports ready.

export interface LiveWorker {
  workerId: string;
  modelVersion?: string | null;
  backend?: string | null;
  ready: boolean;
  inFlight: number;
  lastSeen: string | number | Date;
}

export class WorkerPresenceRepository {
  constructor(private readonly listWorkers: () => Promise<LiveWorker[]>) {}

  list(): Promise<LiveWorker[]> {
    return this.listWorkers();
  }
}
