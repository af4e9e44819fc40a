import { describe, expect, it } from 'vitest';
import { seededRandom } from '../data/random';
import { DEFAULT_GRADIENT_BOOSTING, fitGradientBoosting, predictLogit } from './gradient-boosting';

/** Points in a square labelled by a ring (not linearly separable), plus a feature of pure noise. */
function ring(count: number, seed: number): { rows: number[][]; labels: number[] } {
  const random = seededRandom(seed);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const [x, y, noise] = [random() * 2 - 1, random() * 2 - 1, random()];
    rows.push([x, y, noise]);
    labels.push(Math.hypot(x, y) > 0.6 ? 1 : 0);
  }
  return { rows, labels };
}

const accuracy = (
  model: ReturnType<typeof fitGradientBoosting>,
  { rows, labels }: ReturnType<typeof ring>,
): number =>
  rows.filter((row, i) => (predictLogit(model, row) > 0 ? 1 : 0) === labels[i]).length / rows.length;

describe('gradient boosting', () => {
  it('learns a ring-shaped boundary and generalises to new points (accuracy >= 0.95)', () => {
    const train = ring(2000, 1);
    const model = fitGradientBoosting(
      train.rows,
      train.labels,
      train.labels.map(() => 1),
    );
    expect(accuracy(model, ring(1000, 2))).toBeGreaterThanOrEqual(0.95);
  });

  it('starts from the weighted log-odds of the labels', () => {
    const model = fitGradientBoosting([[0], [1], [2], [3]], [1, 0, 0, 0], [3, 1, 1, 1], {
      ...DEFAULT_GRADIENT_BOOSTING,
      iterations: 0,
    });
    expect(model.baseline).toBeCloseTo(0, 12);
    expect(predictLogit(model, [5])).toBeCloseTo(0, 12);
  });

  it('never splits off fewer rows than a leaf may hold', () => {
    const rows = Array.from({ length: 50 }, (_, i) => [i]);
    const labels = rows.map(([v]) => (v === 0 ? 1 : 0));
    const model = fitGradientBoosting(
      rows,
      labels,
      labels.map(() => 1),
      { ...DEFAULT_GRADIENT_BOOSTING, minSamplesPerLeaf: 20, iterations: 5 },
    );
    for (const tree of model.trees)
      for (const node of tree) if ('threshold' in node) expect(node.threshold).toBeGreaterThanOrEqual(19);
  });

  it('weights rows: balancing a 30 % minority class moves scores from its log-odds to about 0', () => {
    const random = seededRandom(3);
    const rows = Array.from({ length: 1000 }, () => [random()]);
    const labels = rows.map(() => (random() < 0.3 ? 1 : 0));
    const positives = labels.filter((y) => y === 1).length;
    const balanced = labels.map((y) => (y === 1 ? 0.5 / positives : 0.5 / (labels.length - positives)));
    const mean = (model: ReturnType<typeof fitGradientBoosting>) =>
      rows.reduce((sum, row) => sum + predictLogit(model, row), 0) / rows.length;
    expect(
      mean(
        fitGradientBoosting(
          rows,
          labels,
          labels.map(() => 1),
        ),
      ),
    ).toBeCloseTo(Math.log(positives / (labels.length - positives)), 0);
    expect(mean(fitGradientBoosting(rows, labels, balanced))).toBeCloseTo(0, 0);
  });

  it('refuses missing features instead of guessing', () => {
    expect(() => fitGradientBoosting([[Number.NaN]], [1], [1])).toThrow(/finite features/);
    const model = fitGradientBoosting([[0], [1]], [0, 1], [1, 1], {
      ...DEFAULT_GRADIENT_BOOSTING,
      iterations: 1,
    });
    expect(() => predictLogit(model, [0, 1])).toThrow(/reads 1 features/);
  });
});
