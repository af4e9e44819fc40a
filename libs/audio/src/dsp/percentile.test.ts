import { describe, expect, it } from 'vitest';
import { percentileOfSorted, percentilesOf } from './percentile';

const QUANTILES = [0, 10, 25, 50, 75, 90, 100];
const bySorting = (values: Float64Array): number[] =>
  QUANTILES.map((q) => percentileOfSorted(values.slice().sort(), q));

describe('percentilesOf', () => {
  it('gives what sorting gives, on lengths 1 to 300 with ties', () => {
    let state = 7;
    for (let n = 1; n <= 300; n += n < 10 ? 1 : 37) {
      const values = Float64Array.from({ length: n }, () => {
        state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
        return Math.round((state / 2 ** 31 - 0.3) * 20) / 4 + 0.01; // few distinct values, none zero
      });
      expect(percentilesOf(values, QUANTILES)).toEqual(bySorting(values));
    }
  });

  it('sorts, as before, values holding NaN or signed zeros', () => {
    for (const values of [Float64Array.of(3, Number.NaN, 1, 2), Float64Array.of(0, -0, 1, -1, -0, 0)])
      expect(percentilesOf(values, QUANTILES).map((v) => (Object.is(v, -0) ? '-0' : v))).toEqual(
        bySorting(values).map((v) => (Object.is(v, -0) ? '-0' : v)),
      );
  });

  it('leaves its input in order', () => {
    const values = Float64Array.of(5, 1, 4, 2, 3);
    percentilesOf(values, [50]);
    expect(Array.from(values)).toEqual([5, 1, 4, 2, 3]);
  });
});
