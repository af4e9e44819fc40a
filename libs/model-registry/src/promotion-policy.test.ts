import { describe, expect, it } from 'vitest';
import { decidePromotion, type EvaluationOnSet } from './promotion-policy';

const SET = 'fnv1a32:0000abcd:40';
const on = (macc: number, sensitivity: number, evaluationFingerprint = SET): EvaluationOnSet => ({
  evaluationFingerprint,
  macc,
  sensitivity,
});
const policy = { margin: 0.01, maxSensitivityDrop: 0.02 };

describe('decidePromotion', () => {
  it('promotes the first candidate when no model is promoted yet', () => {
    const decision = decidePromotion({ candidate: on(0.6, 0.7), ...policy });
    expect(decision.promote).toBe(true);
    expect(decision.reason).toMatch(/no promoted model/);
  });

  it('rejects equal scores when a positive margin is required', () => {
    const decision = decidePromotion({ candidate: on(0.8, 0.8), promoted: on(0.8, 0.8), ...policy });
    expect(decision.promote).toBe(false);
    expect(decision.reason).toMatch(/below the promoted/);
  });

  it('promotes equal scores when the margin is zero', () => {
    expect(
      decidePromotion({ candidate: on(0.8, 0.8), promoted: on(0.8, 0.8), margin: 0, maxSensitivityDrop: 0 })
        .promote,
    ).toBe(true);
  });

  it('promotes a candidate exactly at the margin despite floating-point rounding', () => {
    // 0.7 + 0.1 is 0.7999999999999999 in binary floating point.
    expect(
      decidePromotion({ candidate: on(0.8, 0.8), promoted: on(0.7, 0.8), margin: 0.1, maxSensitivityDrop: 0 })
        .promote,
    ).toBe(true);
  });

  it('rejects a candidate just below the margin', () => {
    expect(decidePromotion({ candidate: on(0.8095, 0.8), promoted: on(0.8, 0.8), ...policy }).promote).toBe(
      false,
    );
  });

  it('rejects a better MAcc bought with a sensitivity drop beyond the tolerance', () => {
    const decision = decidePromotion({ candidate: on(0.9, 0.77), promoted: on(0.8, 0.8), ...policy });
    expect(decision.promote).toBe(false);
    expect(decision.reason).toMatch(/sensitivity drops by 0\.0300/);
  });

  it('accepts a sensitivity drop exactly at the tolerance', () => {
    expect(decidePromotion({ candidate: on(0.9, 0.78), promoted: on(0.8, 0.8), ...policy }).promote).toBe(
      true,
    );
  });

  it('refuses to compare figures measured on different evaluation sets', () => {
    const decision = decidePromotion({
      candidate: on(0.95, 0.95),
      promoted: on(0.6, 0.6, 'fnv1a32:ffff0000:40'),
      ...policy,
    });
    expect(decision.promote).toBe(false);
    expect(decision.reason).toMatch(/evaluation sets differ/);
  });

  it('rejects a candidate whose figures are undefined (evaluation set with one class)', () => {
    expect(decidePromotion({ candidate: on(Number.NaN, Number.NaN), ...policy }).promote).toBe(false);
  });

  it('refuses a negative margin or tolerance', () => {
    expect(() => decidePromotion({ candidate: on(0.8, 0.8), margin: -0.1, maxSensitivityDrop: 0 })).toThrow(
      RangeError,
    );
  });
});
