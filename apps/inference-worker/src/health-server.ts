// /health and /metrics (Prometheus text) of the inference-worker, on its own port so probes never queue behind jobs.
import { createServer, type Server } from 'node:http';

export const SERVICE = 'inference-worker';

export function startHealthServer(port: number): Promise<Server> {
  const startedAt = Date.now();
  const server = createServer((request, response) => {
    const uptimeSeconds = (Date.now() - startedAt) / 1000;
    if (request.method === 'GET' && request.url === '/health') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ status: 'ok', service: SERVICE, uptimeSeconds: Math.round(uptimeSeconds) }),
      );
    } else if (request.method === 'GET' && request.url === '/metrics') {
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      response.end(
        [
          '# HELP heartbeat_up Whether the service is running.',
          '# TYPE heartbeat_up gauge',
          `heartbeat_up{service="${SERVICE}"} 1`,
          '# HELP heartbeat_uptime_seconds Seconds since the service started.',
          '# TYPE heartbeat_uptime_seconds gauge',
          `heartbeat_uptime_seconds{service="${SERVICE}"} ${uptimeSeconds.toFixed(3)}`,
          '',
        ].join('\n'),
      );
    } else {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ code: 'NOT_FOUND', message: 'Try GET /health or GET /metrics' }));
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve(server));
  });
}
