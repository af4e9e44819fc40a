// The console's settings, read from the environment and validated once (instrumentation.ts calls
// consoleConfig() at start-up, so a wrong value stops the server with the variable's name).
import { z } from 'zod';

const optionalUrl = (name: string) =>
  z.preprocess(
    (value) => (value === '' ? undefined : value),
    z.url({ message: `${name} must be a URL such as http://127.0.0.1:9090` }).optional(),
  );

const schema = z.object({
  HEARTBEAT_GATEWAY_URL: z.preprocess(
    (value) => (value === '' || value === undefined ? 'http://127.0.0.1:8000' : value),
    z.url({ message: 'HEARTBEAT_GATEWAY_URL must be the gateway URL, such as http://127.0.0.1:8000' }),
  ),
  GATEWAY_METRICS_URL: z.preprocess(
    (value) => (value === '' || value === undefined ? 'http://127.0.0.1:9100/metrics' : value),
    z.url({
      message:
        "GATEWAY_METRICS_URL must be the gateway's Prometheus endpoint, such as http://127.0.0.1:9100/metrics",
    }),
  ),
  PROMETHEUS_URL: optionalUrl('PROMETHEUS_URL'),
  GRAFANA_URL: optionalUrl('GRAFANA_URL'),
  CONSOLE_SESSION_SECRET: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z
      .string()
      .min(32, 'CONSOLE_SESSION_SECRET must be at least 32 characters (e.g. openssl rand -hex 32)')
      .optional(),
  ),
  CONSOLE_SESSION_HOURS: z.preprocess(
    (value) => (value === '' || value === undefined ? '12' : value),
    z.coerce
      .number({ message: 'CONSOLE_SESSION_HOURS must be a number of hours' })
      .positive('CONSOLE_SESSION_HOURS must be positive'),
  ),
  CONSOLE_SECURE_COOKIES: z.preprocess(
    (value) => (value === '' || value === undefined ? 'auto' : value),
    z.enum(['auto', 'true', 'false'], { message: 'CONSOLE_SECURE_COOKIES must be auto, true or false' }),
  ),
});

export interface ConsoleConfig {
  gatewayUrl: string;
  gatewayMetricsUrl: string;
  prometheusUrl: string | null;
  grafanaUrl: string | null;
  /** null: a random secret per process (sessions end when the console restarts; set one for several replicas). */
  sessionSecret: string | null;
  sessionHours: number;
  secureCookies: 'auto' | 'true' | 'false';
}

export function parseConsoleConfig(env: Record<string, string | undefined>): ConsoleConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `  ${issue.path.join('.')}: ${issue.message}`)
      .join('\n');
    throw new Error(`The console's configuration is invalid:\n${problems}`);
  }
  const s = parsed.data;
  return {
    gatewayUrl: s.HEARTBEAT_GATEWAY_URL.replace(/\/+$/, ''),
    gatewayMetricsUrl: s.GATEWAY_METRICS_URL,
    prometheusUrl: s.PROMETHEUS_URL?.replace(/\/+$/, '') ?? null,
    grafanaUrl: s.GRAFANA_URL ?? null,
    sessionSecret: s.CONSOLE_SESSION_SECRET ?? null,
    sessionHours: s.CONSOLE_SESSION_HOURS,
    secureCookies: s.CONSOLE_SECURE_COOKIES,
  };
}

let cached: ConsoleConfig | undefined;

export function consoleConfig(): ConsoleConfig {
  cached ??= parseConsoleConfig(process.env);
  return cached;
}
