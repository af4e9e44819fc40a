import { describe, expect, it } from 'vitest';
import type { HealthReport } from '@heartbeat/api-client';
import {
  dependencyAdvice,
  downDependencies,
  filterRows,
  formatDuration,
  percent,
  sortRows,
  strongestWindow,
  type BatchRow,
} from '../lib/presentation';

const health = (checks: Partial<HealthReport['checks']>): HealthReport => ({
  status: 'down',
  service: 'gateway',
  uptimeSeconds: 1,
  modelLoaded: false,
  modelVersions: [],
  checks: { api: 'up', database: 'up', redis: 'up', storage: 'up', model: 'up', ...checks },
  workers: [],
});

const row = (fileName: string, extra: Partial<BatchRow> = {}): BatchRow => ({
  fileName,
  status: 'succeeded',
  label: 'normal',
  probability: 0.1,
  quality: 0.9,
  predictionId: fileName,
  error: null,
  ...extra,
});

describe('overview status', () => {
  it('lists the dependencies that are down', () => {
    expect(downDependencies(health({ redis: 'down', model: 'down' }))).toEqual(['redis', 'model']);
    expect(downDependencies(health({}))).toEqual([]);
  });

  it('reports the gateway down when it did not answer', () => {
    expect(downDependencies(null)).toEqual(['gateway']);
  });

  it('tells what to do, naming the setting to check', () => {
    expect(dependencyAdvice('gateway', 'http://gw:8000')).toContain('http://gw:8000');
    expect(dependencyAdvice('gateway', 'x')).toContain('HEARTBEAT_GATEWAY_URL');
    expect(dependencyAdvice('database', 'x')).toContain('DATABASE_URL');
    expect(dependencyAdvice('redis', 'x')).toContain('REDIS_URL');
    expect(dependencyAdvice('storage', 'x')).toContain('S3_ENDPOINT');
  });

  it('formats uptimes and percentages', () => {
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(3_725)).toBe('1 h 2 min');
    expect(formatDuration(90_000)).toBe('1 d 1 h');
    expect(percent(0.1234)).toBe('12.3 %');
    expect(percent(null)).toBe('—');
  });
});

describe('batch table', () => {
  const rows = [
    row('b.wav', { label: 'abnormal', probability: 0.9 }),
    row('a10.wav', { probability: 0.2 }),
    row('a9.wav', { probability: 0.05 }),
    row('bad.png', {
      status: 'rejected',
      label: null,
      probability: null,
      quality: null,
      predictionId: null,
      error: 'Unsupported audio format',
    }),
  ];

  it('sorts by probability with files without one last, both ways', () => {
    expect(sortRows(rows, 'probability', 'desc').map((r) => r.fileName)).toEqual([
      'b.wav',
      'a10.wav',
      'a9.wav',
      'bad.png',
    ]);
    expect(sortRows(rows, 'probability', 'asc').map((r) => r.fileName)).toEqual([
      'a9.wav',
      'a10.wav',
      'b.wav',
      'bad.png',
    ]);
  });

  it('sorts file names as people count (a9 before a10)', () => {
    expect(sortRows(rows, 'fileName', 'asc').map((r) => r.fileName)).toEqual([
      'a9.wav',
      'a10.wav',
      'b.wav',
      'bad.png',
    ]);
  });

  it('filters by name, by label and by errors', () => {
    expect(filterRows(rows, 'A9', 'all').map((r) => r.fileName)).toEqual(['a9.wav']);
    expect(filterRows(rows, '', 'abnormal').map((r) => r.fileName)).toEqual(['b.wav']);
    expect(filterRows(rows, '', 'errors').map((r) => r.fileName)).toEqual(['bad.png']);
  });

  it('finds the window that scored most abnormal', () => {
    expect(
      strongestWindow([
        { startSeconds: 0, endSeconds: 5, probability: 0.2 },
        { startSeconds: 2.5, endSeconds: 7.5, probability: 0.8 },
      ])?.startSeconds,
    ).toBe(2.5);
    expect(strongestWindow(null)).toBeNull();
  });
});
