// numpy's default (linear interpolation) percentile, which the research replicas use.

/** The q-th percentile (0-100) of values already sorted ascending. */
export function percentileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const position = (q / 100) * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low] + (position - low) * (sorted[high] - sorted[low]);
}

/** The q-th percentile (0-100) of values in any order. */
export function percentile(values: ArrayLike<number>, q: number): number {
  return percentileOfSorted(Float64Array.from(values).sort(), q);
}

export const median = (values: ArrayLike<number>): number => percentile(values, 50);
