// Runs the same computation on two tfjs backends so a test can compare their numbers.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export async function runOn<T>(backend: 'cpu' | 'wasm', compute: () => T): Promise<T> {
  if (!(await tf.setBackend(backend))) throw new Error(`could not activate the ${backend} backend`);
  await tf.ready();
  return compute();
}

/** Deterministic pseudo-random values in [-1, 1), so both backends see identical inputs. */
export function seededValues(count: number, seed: number): Float32Array {
  const values = new Float32Array(count);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = state / 2 ** 31 - 1;
  }
  return values;
}

/** Largest |a - b| / max(1, |b|): absolute error for small values, relative for large sums. */
export function maxScaledDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  }
  return worst;
}
