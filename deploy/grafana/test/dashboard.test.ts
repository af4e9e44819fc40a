// The checked-in dashboard is what heartbeat-dashboard.ts generates, every query is valid PromQL
// (promtool parses each as a recording rule) and reads only metrics the services expose.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { EXPOSITIONS } from '../../prometheus/test/expositions';
import { promtool, promtoolAvailable } from '../../prometheus/test/promtool';
import { buildHeartbeatDashboard, dashboardExpressions, dashboardJson } from '../src/heartbeat-dashboard';

const CHECKED_IN = path.resolve(__dirname, '../dashboards/heartbeat.json');

/** A dashboard expression as Prometheus would run it: Grafana's variables replaced by values. */
export function concreteExpression(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$service', '.*');
}

/** Metric names in a PromQL expression (identifiers followed by a selector, range or closing bracket). */
function metricNames(expr: string): string[] {
  const withoutStrings = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '');
  const keywords = new Set([
    'by',
    'without',
    'on',
    'ignoring',
    'group_left',
    'group_right',
    'and',
    'or',
    'unless',
    'le',
  ]);
  return [...withoutStrings.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?=\{|\[|\)|$)/g)]
    .map((match) => match[1])
    .filter(
      (name) => !keywords.has(name) && !/^(sum|max|min|avg|rate|vector|histogram_quantile|count)$/.test(name),
    );
}

describe('Grafana dashboard', () => {
  it('is checked in as generated (run `npm run dashboard:generate` after changing heartbeat-dashboard.ts)', () => {
    expect(readFileSync(CHECKED_IN, 'utf8')).toBe(dashboardJson());
  });

  it('has the data source and the service as variables, and every panel on the data source variable', () => {
    const dashboard = buildHeartbeatDashboard();
    expect(dashboard.templating?.list?.map((variable) => [variable.name, variable.type])).toEqual([
      ['datasource', 'datasource'],
      ['service', 'query'],
    ]);
    for (const panel of dashboard.panels ?? [])
      if (panel.type !== 'row')
        expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
  });

  it('reads only metrics that the services expose (or Prometheus adds: up)', async () => {
    const exposed = new Set<string>(['up']);
    for (const exposition of Object.values(EXPOSITIONS))
      for (const match of (await exposition()).matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/gm))
        exposed.add(match[1]);
    const expressions = dashboardExpressions();
    expect(expressions.length).toBeGreaterThan(30);
    const unknown = expressions.flatMap((expr) =>
      metricNames(expr)
        .filter((name) => !exposed.has(name))
        .map((name) => `${name} in ${expr}`),
    );
    expect(unknown).toEqual([]);
  });

  it.skipIf(!promtoolAvailable)('has only valid PromQL (promtool parses every query)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'heartbeat-dashboard-'));
    try {
      const rules = dashboardExpressions().map((expr, index) => ({
        record: `dashboard:query_${index}`,
        expr: concreteExpression(expr),
      }));
      writeFileSync(path.join(dir, 'queries.yml'), stringify({ groups: [{ name: 'dashboard', rules }] }));
      const result = promtool(['check', 'rules', path.join(dir, 'queries.yml')]);
      expect(result.output).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
