// The Prometheus configuration and alert rules in deploy/prometheus are valid (promtool check),
// every alert has a runbook line and is unit-tested both firing and silent (promtool test rules),
// and the scrape targets are the services' default metrics ports.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@heartbeat/config';
import { promtool, promtoolAvailable } from './promtool';

const DIR = path.resolve(__dirname, '..');
const RULES = path.join(DIR, 'rules/heartbeat.rules.yml');
const RULE_TESTS = path.join(DIR, 'rules/heartbeat.rules.test.yml');

interface AlertRule {
  alert: string;
  expr: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

const alerts: AlertRule[] = (
  parse(readFileSync(RULES, 'utf8')) as { groups: { rules: AlertRule[] }[] }
).groups.flatMap((group) => group.rules);
const ruleTests = (
  parse(readFileSync(RULE_TESTS, 'utf8')) as {
    tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
  }
).tests.flatMap((test) => test.alert_rule_test ?? []);

describe('alert rules', () => {
  it.each(alerts.map((rule) => [rule.alert, rule] as const))(
    '%s has a severity, a summary and a runbook line',
    (_name, rule) => {
      expect(rule.labels?.severity).toMatch(/^(critical|warning)$/);
      expect(rule.annotations?.summary).toBeTruthy();
      expect(rule.annotations?.runbook?.length).toBeGreaterThan(40);
    },
  );

  it.each(alerts.map((rule) => [rule.alert] as const))('%s is unit-tested firing and silent', (name) => {
    const cases = ruleTests.filter((test) => test.alertname === name);
    expect(
      cases.some((test) => test.exp_alerts.length > 0),
      'a case where it fires',
    ).toBe(true);
    expect(
      cases.some((test) => test.exp_alerts.length === 0),
      'a case where it stays silent',
    ).toBe(true);
  });
});

describe('scrape configuration', () => {
  it('scrapes each service on its default metrics port', () => {
    const config = loadConfig({});
    const scrape = parse(readFileSync(path.join(DIR, 'prometheus.yml'), 'utf8')) as {
      scrape_configs: {
        job_name: string;
        static_configs: { targets: string[]; labels: { service: string } }[];
      }[];
    };
    const targets = Object.fromEntries(
      scrape.scrape_configs.flatMap((job) => job.static_configs.map((c) => [c.labels.service, c.targets])),
    );
    expect(targets).toEqual({
      gateway: [`127.0.0.1:${config.gateway.metricsPort}`],
      'inference-worker': [`127.0.0.1:${config.inferenceWorker.metricsPort}`],
      'training-worker': [`127.0.0.1:${config.trainingWorker.metricsPort}`],
    });
  });
});

describe.skipIf(!promtoolAvailable)('promtool', () => {
  it('accepts the scrape configuration and the rule file it loads', () => {
    const result = promtool(['check', 'config', path.join(DIR, 'prometheus.yml')]);
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('accepts the rules', () => {
    const result = promtool(['check', 'rules', RULES]);
    expect(result.output).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(result.status).toBe(0);
  });

  it('passes the rules unit tests', () => {
    const result = promtool(['test', 'rules', RULE_TESTS]);
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });
});
