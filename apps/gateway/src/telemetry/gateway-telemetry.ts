// The gateway's side port (GATEWAY_METRICS_PORT): Prometheus /metrics and the probes, apart from the
// API port so scrapes and probes never queue behind uploads. main.ts starts it; tests may too.
import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { startTelemetryServer, type TelemetryServer } from '@heartbeat/telemetry';
import { HealthService } from '../health/health.service';
import { PredictionQueueRepository } from '../infrastructure/prediction-queue.repository';
import { GatewayMetrics } from './gateway-metrics';

export const gatewayMetricsProvider: Provider = {
  provide: GatewayMetrics,
  useFactory: (queue: PredictionQueueRepository) =>
    new GatewayMetrics({ queueDepth: () => queue.depth(), queueBacklog: () => queue.backlog() }),
  inject: [PredictionQueueRepository],
};

@Injectable()
export class GatewayTelemetry implements OnApplicationShutdown {
  private server?: TelemetryServer;

  constructor(
    @Inject(GatewayMetrics) private readonly metrics: GatewayMetrics,
    @Inject(HealthService) private readonly health: HealthService,
  ) {}

  /** Serves /metrics, /health/live and /health/ready on `port` (0 picks a free one); returns the port. */
  async start(port: number, host = '0.0.0.0'): Promise<number> {
    this.server ??= await startTelemetryServer({
      service: 'gateway',
      port,
      host,
      registry: this.metrics.registry,
      ready: async () => {
        const { ready, checks } = await this.health.readiness();
        return { ready, checks: { ...checks } };
      },
    });
    return this.server.port;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }
}
