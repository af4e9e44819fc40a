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

/**
 * percentileOfSorted of `values` sorted, for each q, found by selection instead of a full sort: the
 * same order statistics, so the same results, in linear time. Values holding NaN or zeros are sorted
 * as before (a sort puts NaN last and -0 before +0; comparisons cannot tell).
 */
export function percentilesOf(values: Float64Array, qs: readonly number[]): number[] {
  const n = values.length;
  const work = values.slice();
  let selectable = n > 0;
  for (let i = 0; i < n && selectable; i++) selectable = work[i] === work[i] && work[i] !== 0;
  if (!selectable) {
    work.sort();
    return qs.map((q) => percentileOfSorted(work, q));
  }
  const ranks = [...new Set(qs.flatMap((q) => rankPair(q, n)))].sort((a, b) => a - b);
  const atRank = new Map<number, number>();
  let from = 0;
  for (const rank of ranks) {
    atRank.set(rank, selectInPlace(work, from, n - 1, rank));
    from = rank + 1; // everything after a selected rank is at least its value
  }
  return qs.map((q) => {
    const position = (q / 100) * (n - 1);
    const [low, high] = rankPair(q, n);
    const lowValue = atRank.get(low)!;
    return lowValue + (position - low) * (atRank.get(high)! - lowValue);
  });
}

/** The ranks percentileOfSorted reads for q among n values. */
function rankPair(q: number, n: number): [number, number] {
  const low = Math.floor((q / 100) * (n - 1));
  return [low, Math.min(low + 1, n - 1)];
}

/** The k-th smallest of values[left .. right] (quickselect), reordering that range. */
export function selectInPlace(
  values: Float32Array | Float64Array,
  left: number,
  right: number,
  k: number,
): number {
  while (left < right) {
    const pivot = values[(left + right) >> 1];
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const swap = values[i];
        values[i] = values[j];
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return values[k];
  }
  return values[k];
}
