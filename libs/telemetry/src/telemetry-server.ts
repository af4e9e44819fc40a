// The side port every HeartBeat service exposes for the orchestrator: Prometheus metrics and the
// liveness/readiness probes, served apart from the work itself so probes never queue behind jobs.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** What a readiness check reports; `ready: false` answers 503 so traffic is held back. */
export interface ReadinessReport {
  ready: boolean;
  /** Per-dependency details shown to operators, e.g. { model: '1.0.0', redis: true }. */
  checks?: Record<string, unknown>;
}

export interface TelemetryServerOptions {
  service: string;
  /** 0 picks a free port (tests). */
  port: number;
  host?: string;
  /** What /metrics serves: a prom-client Registry, or anything that renders the same way (an aggregate of several processes). */
  registry: MetricsSource;
  /** Liveness: false means "restart me". Default: alive while the process answers. */
  live?: () => boolean | Promise<boolean>;
  /** Readiness: whether the service should receive work now. Default: ready. */
  ready?: () => ReadinessReport | Promise<ReadinessReport>;
}

export type MetricsSource = Pick<Registry, 'metrics' | 'contentType'>;

export interface TelemetryServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

/** `heartbeat_ready{service}`: 1 while /health/ready answers 200, 0 while it answers 503. */
export function readinessExposition(service: string, ready: boolean): string {
  const label = service.replace(/["\\\n]/g, '_');
  return (
    '# HELP heartbeat_ready Whether the service reports itself ready (/health/ready answers 200): 1, or 0 (503).\n' +
    '# TYPE heartbeat_ready gauge\n' +
    `heartbeat_ready{service="${label}"} ${ready ? 1 : 0}\n`
  );
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

export async function startTelemetryServer(options: TelemetryServerOptions): Promise<TelemetryServer> {
  const { service, registry } = options;
  const startedAt = Date.now();
  const uptimeSeconds = () => Math.round((Date.now() - startedAt) / 1000);

  async function readiness(): Promise<ReadinessReport> {
    return options.ready ? options.ready() : { ready: true };
  }

  async function liveness(response: ServerResponse): Promise<void> {
    const live = options.live ? await options.live() : true;
    sendJson(response, live ? 200 : 503, {
      status: live ? 'ok' : 'unhealthy',
      service,
      uptimeSeconds: uptimeSeconds(),
    });
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendJson(response, 405, {
        code: 'METHOD_NOT_ALLOWED',
        message: `${request.method} is not supported; use GET`,
      });
      return;
    }
    switch (path) {
      case '/metrics': {
        // Readiness as a metric too, so an alert can see what the orchestrator's probe sees.
        const [metrics, report] = await Promise.all([registry.metrics(), readiness()]);
        response.writeHead(200, { 'content-type': registry.contentType });
        response.end(`${metrics}${readinessExposition(service, report.ready)}`);
        return;
      }
      // /health stays as an alias of liveness for the container HEALTHCHECKs.
      case '/health':
      case '/health/live':
        await liveness(response);
        return;
      case '/health/ready': {
        const report = await readiness();
        sendJson(response, report.ready ? 200 : 503, {
          status: report.ready ? 'ready' : 'not_ready',
          service,
          uptimeSeconds: uptimeSeconds(),
          checks: report.checks ?? {},
        });
        return;
      }
      default:
        sendJson(response, 404, {
          code: 'NOT_FOUND',
          message: `No route ${path}; try GET /health/live, /health/ready or /metrics`,
        });
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        sendJson(response, 500, { code: 'INTERNAL', message: (error as Error).message ?? String(error) });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
