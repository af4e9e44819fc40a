import { describe, expect, it } from 'vitest';
import { parseConsoleConfig } from '../lib/config';

describe('console configuration', () => {
  it('defaults to the local gateway and no Prometheus', () => {
    const config = parseConsoleConfig({});
    expect(config.gatewayUrl).toBe('http://127.0.0.1:8000');
    expect(config.gatewayMetricsUrl).toBe('http://127.0.0.1:9100/metrics');
    expect(config.prometheusUrl).toBeNull();
    expect(config.grafanaUrl).toBeNull();
    expect(config.sessionSecret).toBeNull();
    expect(config.sessionHours).toBe(12);
  });

  it('treats empty variables as unset and trims trailing slashes', () => {
    const config = parseConsoleConfig({ PROMETHEUS_URL: '', HEARTBEAT_GATEWAY_URL: 'http://gateway:8000/' });
    expect(config.prometheusUrl).toBeNull();
    expect(config.gatewayUrl).toBe('http://gateway:8000');
  });

  it('names the variable that is wrong', () => {
    expect(() => parseConsoleConfig({ PROMETHEUS_URL: 'not a url' })).toThrow(/PROMETHEUS_URL/);
    expect(() => parseConsoleConfig({ CONSOLE_SESSION_SECRET: 'short' })).toThrow(
      /CONSOLE_SESSION_SECRET must be at least 32 characters/,
    );
    expect(() => parseConsoleConfig({ CONSOLE_SESSION_HOURS: '-1' })).toThrow(/CONSOLE_SESSION_HOURS/);
  });
});
