import { describe, expect, it } from 'vitest';
import { parsePrometheusText, queueDepth } from '../lib/prometheus-text';
import { seriesFromAnswer } from '../lib/prometheus';
import { seriesName } from '../lib/service-queries';
import { summariseModel } from '../lib/model-metrics';
import { retrainParamsFromForm } from '../lib/training-form';
import { robustRange, timeSpan, viridis, waveformEnvelope } from '../lib/drawing';

describe('Prometheus readers', () => {
  it('reads the queue depth from the gateway metrics text', () => {
    const text = [
      '# HELP heartbeat_gateway_queue_jobs Prediction jobs',
      '# TYPE heartbeat_gateway_queue_jobs gauge',
      'heartbeat_gateway_queue_jobs{state="waiting",service="gateway"} 12',
      'heartbeat_gateway_queue_jobs{state="active",service="gateway"} 3',
      'heartbeat_gateway_http_requests_total{route="/health",method="GET",status="200"} 5',
    ].join('\n');
    expect(queueDepth(parsePrometheusText(text))).toEqual({ waiting: 12, active: 3 });
    expect(queueDepth(parsePrometheusText('up 1'))).toBeNull();
  });

  it('turns a range answer into series in milliseconds and names them by label', () => {
    const outcome = seriesFromAnswer({
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          {
            metric: { state: 'waiting' },
            values: [
              [1_700_000_000, '4'],
              [1_700_000_015, 'NaN'],
            ],
          },
        ],
      },
    });
    expect(outcome).toEqual({
      ok: true,
      series: [{ labels: { state: 'waiting' }, points: [{ t: 1_700_000_000_000, v: 4 }] }],
    });
    expect(seriesFromAnswer({ status: 'error', error: 'parse error' })).toEqual({
      ok: false,
      error: 'parse error',
    });
    expect(seriesName(undefined, { state: 'waiting', instance: 'x' })).toBe('state=waiting');
    expect(seriesName(undefined, { instance: '127.0.0.1:9100', job: 'heartbeat-gateway' })).toBe(
      'job=heartbeat-gateway',
    );
    expect(seriesName(undefined, { instance: 'x' })).toBe('instance=x');
    expect(seriesName('p95', { state: 'waiting' })).toBe('p95');
  });
});

describe('model metrics summary', () => {
  it('reads overall, per-subset, history and the promotion decision', () => {
    const summary = summariseModel({
      metrics: {
        validation: { overall: { macc: 0.88, auc: 0.95 }, perSubset: { 'training-a': { macc: 0.77 } } },
        history: [{ epoch: 1, loss: 0.6, validationAuc: 0.8 }],
        evaluation: { decision: { promote: false, reason: 'MAcc gain 0.001 is below the 0.005 margin' } },
      },
    });
    expect(summary.overall).toEqual({ macc: 0.88, auc: 0.95 });
    expect(summary.perSubset).toEqual([{ subset: 'training-a', figures: { macc: 0.77 } }]);
    expect(summary.history).toEqual([{ epoch: 1, loss: 0.6, validationAuc: 0.8, validationMacc: null }]);
    expect(summary.decision).toEqual({ promote: false, reason: 'MAcc gain 0.001 is below the 0.005 margin' });
  });

  it('copes with a version without metrics', () => {
    expect(summariseModel({ metrics: null })).toEqual({
      overall: null,
      perSubset: [],
      history: [],
      decision: null,
      counts: null,
    });
  });
});

describe('training form', () => {
  const form = (fields: Record<string, string>) => ({ get: (name: string) => fields[name] ?? null });

  it('keeps only the fields given, as numbers', () => {
    expect(retrainParamsFromForm(form({ epochs: '2', blockFilters: '4, 8', maxMinutes: '' }))).toEqual({
      ok: true,
      params: { epochs: 2, blockFilters: [4, 8] },
    });
  });

  it('says which field is wrong', () => {
    expect(retrainParamsFromForm(form({ epochs: '0' }))).toEqual({
      ok: false,
      message: 'Epochs must be a whole number from 1 to 500.',
    });
    expect(retrainParamsFromForm(form({ blockFilters: '4, x' })).ok).toBe(false);
  });
});

describe('recording drawing', () => {
  it('takes the min and max of each column', () => {
    const { min, max } = waveformEnvelope(Float32Array.from([0, 1, -1, 0.5, 0.25, -0.5]), 2);
    expect(Array.from(min)).toEqual([-1, -0.5]);
    expect(Array.from(max)).toEqual([1, 0.5]);
  });

  it('maps 0 and 1 to the ends of viridis and clamps outside', () => {
    expect(viridis(0)).toEqual([68, 1, 84]);
    expect(viridis(1)).toEqual([253, 231, 37]);
    expect(viridis(2)).toEqual([253, 231, 37]);
    expect(viridis(Number.NaN)).toEqual([68, 1, 84]);
  });

  it('places windows on the time axis and ignores outliers in the colour range', () => {
    expect(timeSpan(2.5, 7.5, 10, 1000)).toEqual([250, 750]);
    expect(timeSpan(8, 12, 10, 1000)).toEqual([800, 1000]);
    const values = Float32Array.from({ length: 1000 }, (_, i) => i / 1000);
    values[999] = 1e6;
    const [low, high] = robustRange(values);
    expect(low).toBeCloseTo(0.02, 2);
    expect(high).toBeLessThan(1);
  });
});
