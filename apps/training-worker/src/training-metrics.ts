// The training worker's Prometheus metrics: runs finished by status, the current run's progress,
// epoch, loss and validation figures (from the epoch reports it writes to the database), and when it
// last moved, so a stuck run can be told from a slow one.
import {
  Counter,
  createDependencyErrorCounter,
  Gauge,
  type Dependency,
  type Registry,
} from '@heartbeat/telemetry';

/** The figures an epoch report carries in a run's metrics (training-run.service's onEpoch). */
interface EpochFigures {
  epoch?: unknown;
  epochs?: unknown;
  loss?: unknown;
  validationAuc?: unknown;
  validationMacc?: unknown;
}

export class TrainingMetrics {
  readonly runs: Counter<'status'>;
  readonly progress: Gauge;
  readonly active: Gauge;
  readonly lastProgress: Gauge;
  readonly epoch: Gauge;
  readonly epochs: Gauge;
  readonly loss: Gauge;
  readonly validationAuc: Gauge;
  readonly validationMacc: Gauge;
  readonly dependencyErrors: Counter<'dependency' | 'operation'>;

  constructor(
    registry: Registry,
    private readonly now: () => number = Date.now,
  ) {
    const registers = [registry];
    this.runs = new Counter({
      name: 'heartbeat_training_runs_total',
      help: 'Training runs finished by this worker, by status.',
      labelNames: ['status'],
      registers,
    });
    this.progress = new Gauge({
      name: 'heartbeat_training_progress_ratio',
      help: 'Progress (0-1) of the run this worker is executing; 0 when idle.',
      registers,
    });
    this.active = new Gauge({
      name: 'heartbeat_training_run_active',
      help: 'Whether this worker is executing a training run (1) or idle (0).',
      registers,
    });
    this.lastProgress = new Gauge({
      name: 'heartbeat_training_last_progress_timestamp_seconds',
      help: 'When the current run last reported progress (Unix time); with heartbeat_training_run_active, shows a stuck run.',
      registers,
    });
    this.epoch = new Gauge({
      name: 'heartbeat_training_epoch',
      help: 'Last epoch completed by the current (or last) run.',
      registers,
    });
    this.epochs = new Gauge({
      name: 'heartbeat_training_epochs',
      help: 'Epochs planned for the current (or last) run.',
      registers,
    });
    this.loss = new Gauge({
      name: 'heartbeat_training_loss',
      help: 'Training loss of the last completed epoch.',
      registers,
    });
    this.validationAuc = new Gauge({
      name: 'heartbeat_training_validation_auc',
      help: 'Validation AUC (0-1) after the last completed epoch.',
      registers,
    });
    this.validationMacc = new Gauge({
      name: 'heartbeat_training_validation_macc',
      help: 'Validation MAcc, the mean of sensitivity and specificity (0-1), after the last completed epoch.',
      registers,
    });
    this.dependencyErrors = createDependencyErrorCounter(registry);
    this.active.set(0);
    this.progress.set(0);
  }

  /** A run's step found S3 or PostgreSQL out of reach (it waits and tries again). */
  dependencyFailed(dependency: Dependency, step: string): void {
    this.dependencyErrors.inc({ dependency, operation: step });
  }

  runStarted(): void {
    this.active.set(1);
    this.lastProgress.set(this.now() / 1000);
  }

  /** A progress report; epoch figures in `metrics` (when the report is an epoch's) update their gauges. */
  progressed(progress: number, metrics?: EpochFigures): void {
    this.progress.set(progress);
    this.lastProgress.set(this.now() / 1000);
    if (!metrics) return;
    const set = (gauge: Gauge, value: unknown) => {
      if (typeof value === 'number' && Number.isFinite(value)) gauge.set(value);
    };
    set(this.epoch, metrics.epoch);
    set(this.epochs, metrics.epochs);
    set(this.loss, metrics.loss);
    set(this.validationAuc, metrics.validationAuc);
    set(this.validationMacc, metrics.validationMacc);
  }

  runFinished(status: string): void {
    this.runs.inc({ status });
    this.active.set(0);
    this.progress.set(0);
  }
}

/**
 * The runs repository with every progress report also shown on the metrics: the service reports
 * through it, so the gauges see exactly what the database records.
 */
export function reportingProgressTo<
  R extends {
    reportProgress(
      id: string,
      progress: number,
      extra?: { metrics?: Record<string, unknown>; logLine?: string },
    ): Promise<unknown>;
  },
>(runs: R, metrics: TrainingMetrics): R {
  return new Proxy(runs, {
    get(target, property, receiver) {
      if (property !== 'reportProgress') {
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (
        id: string,
        progress: number,
        extra?: { metrics?: Record<string, unknown>; logLine?: string },
      ) => {
        metrics.progressed(progress, extra?.metrics as EpochFigures | undefined);
        return target.reportProgress(id, progress, extra);
      };
    },
  });
}
