// Gradient-boosted decision trees for binary classification on a few dozen numeric features, in the
// manner of scikit-learn's HistGradientBoostingClassifier (the research replica's model): features
// binned once at quantiles, trees grown best-first on gradient/hessian histograms of the logistic
// loss, each tree's leaves shrunk by the learning rate. Deterministic: no sampling of rows or columns.

export interface GradientBoostingOptions {
  iterations: number;
  learningRate: number;
  /** Leaves per tree (grown best-first, the highest-gain split next). */
  maxLeaves: number;
  minSamplesPerLeaf: number;
  /** Distinct split points per feature at most. */
  maxBins: number;
  l2Regularisation: number;
}

export const DEFAULT_GRADIENT_BOOSTING: GradientBoostingOptions = {
  iterations: 150,
  learningRate: 0.05,
  maxLeaves: 31,
  minSamplesPerLeaf: 20,
  maxBins: 255,
  l2Regularisation: 0,
};

/** A split sends a row left when row[feature] <= threshold; a leaf holds its share of the logit. */
export type TreeNode =
  { feature: number; threshold: number; left: number; right: number } | { value: number };

export interface GradientBoostedTrees {
  featureCount: number;
  /** Logit before any tree: the weighted log-odds of the training labels. */
  baseline: number;
  trees: TreeNode[][];
}

const MIN_HESSIAN = 1e-3;

/** Fits trees to rows (all of featureCount finite numbers), labels 0/1 and per-row weights. */
export function fitGradientBoosting(
  rows: readonly ArrayLike<number>[],
  labels: readonly number[],
  weights: readonly number[],
  options: GradientBoostingOptions = DEFAULT_GRADIENT_BOOSTING,
): GradientBoostedTrees {
  const n = rows.length;
  if (n === 0 || labels.length !== n || weights.length !== n)
    throw new RangeError('gradient boosting needs as many labels and weights as rows, and at least one row');
  const featureCount = rows[0].length;
  for (const row of rows) {
    if (row.length !== featureCount) throw new RangeError(`every row needs ${featureCount} features`);
    for (let f = 0; f < featureCount; f++)
      if (!Number.isFinite(row[f]))
        throw new RangeError('gradient boosting needs finite features (impute missing ones first)');
  }
  const splitPoints = Array.from({ length: featureCount }, (_, f) =>
    binEdges(
      rows.map((row) => row[f]),
      options.maxBins,
    ),
  );
  const binned = Array.from({ length: featureCount }, (_, f) =>
    Uint16Array.from(rows, (row) => binOf(splitPoints[f], row[f])),
  );
  let positive = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    positive += weights[i] * labels[i];
    total += weights[i];
  }
  const baseline = Math.log(Math.max(positive, 1e-12) / Math.max(total - positive, 1e-12));
  const raw = new Float64Array(n).fill(baseline);
  const gradient = new Float64Array(n);
  const hessian = new Float64Array(n);
  const trees: TreeNode[][] = [];
  for (let iteration = 0; iteration < options.iterations; iteration++) {
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-raw[i]));
      gradient[i] = weights[i] * (p - labels[i]);
      hessian[i] = weights[i] * p * (1 - p);
    }
    const { nodes, leafOfRow } = growTree(binned, splitPoints, gradient, hessian, options);
    for (let i = 0; i < n; i++) raw[i] += (nodes[leafOfRow[i]] as { value: number }).value;
    trees.push(nodes);
  }
  return { featureCount, baseline, trees };
}

export function predictLogit(model: GradientBoostedTrees, row: ArrayLike<number>): number {
  if (row.length !== model.featureCount)
    throw new RangeError(`the model reads ${model.featureCount} features, got ${row.length}`);
  let logit = model.baseline;
  for (const tree of model.trees) {
    let node = tree[0];
    while (!('value' in node)) node = tree[row[node.feature] <= node.threshold ? node.left : node.right];
    logit += node.value;
  }
  return logit;
}

/** Split points between distinct values: all of them when few, else at evenly spaced quantiles. */
function binEdges(values: number[], maxBins: number): number[] {
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  if (distinct.length <= maxBins) return distinct.slice(1).map((value, i) => (distinct[i] + value) / 2);
  const sorted = [...values].sort((a, b) => a - b);
  const edges: number[] = [];
  for (let b = 1; b < maxBins; b++) {
    const position = (b / maxBins) * (sorted.length - 1);
    const low = Math.floor(position);
    const edge = (sorted[low] + sorted[Math.min(low + 1, sorted.length - 1)]) / 2;
    if (edges.length === 0 || edge > edges[edges.length - 1]) edges.push(edge);
  }
  return edges;
}

/** Index of the first split point >= value: rows in bin <= b go left of split point b. */
function binOf(edges: number[], value: number): number {
  let low = 0;
  let high = edges.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (edges[middle] < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

type Split = { gain: number; feature: number; bin: number };
type OpenLeaf = { node: number; rows: Int32Array; gradient: number; hessian: number; split: Split | null };

function growTree(
  binned: Uint16Array[],
  splitPoints: number[][],
  gradient: Float64Array,
  hessian: Float64Array,
  options: GradientBoostingOptions,
): { nodes: TreeNode[]; leafOfRow: Int32Array } {
  const n = gradient.length;
  const nodes: TreeNode[] = [];
  const leafOfRow = new Int32Array(n);
  const open: OpenLeaf[] = [];
  const openLeaf = (rows: Int32Array): OpenLeaf => {
    let g = 0;
    let h = 0;
    for (const i of rows) {
      g += gradient[i];
      h += hessian[i];
    }
    const node = nodes.push({ value: 0 }) - 1;
    return {
      node,
      rows,
      gradient: g,
      hessian: h,
      split: bestSplit(rows, g, h, binned, splitPoints, gradient, hessian, options),
    };
  };
  const root = openLeaf(Int32Array.from({ length: n }, (_, i) => i));
  open.push(root);
  let leaves = 1;
  while (leaves < options.maxLeaves) {
    let best = -1;
    for (let k = 0; k < open.length; k++)
      if (open[k].split && (best < 0 || open[k].split!.gain > open[best].split!.gain)) best = k;
    if (best < 0) break;
    const [leaf] = open.splice(best, 1);
    const { feature, bin } = leaf.split!;
    const column = binned[feature];
    const leftRows = leaf.rows.filter((i) => column[i] <= bin);
    const rightRows = leaf.rows.filter((i) => column[i] > bin);
    const left = openLeaf(leftRows);
    const right = openLeaf(rightRows);
    nodes[leaf.node] = { feature, threshold: splitPoints[feature][bin], left: left.node, right: right.node };
    open.push(left, right);
    leaves += 1;
  }
  for (const leaf of open) {
    nodes[leaf.node] = {
      value: (-options.learningRate * leaf.gradient) / (leaf.hessian + options.l2Regularisation + 1e-12),
    };
    for (const i of leaf.rows) leafOfRow[i] = leaf.node;
  }
  return { nodes, leafOfRow };
}

function bestSplit(
  rows: Int32Array,
  totalGradient: number,
  totalHessian: number,
  binned: Uint16Array[],
  splitPoints: number[][],
  gradient: Float64Array,
  hessian: Float64Array,
  options: GradientBoostingOptions,
): Split | null {
  if (rows.length < 2 * options.minSamplesPerLeaf) return null;
  const lambda = options.l2Regularisation;
  const parentScore = (totalGradient * totalGradient) / (totalHessian + lambda);
  let best: Split | null = null;
  for (let f = 0; f < binned.length; f++) {
    const bins = splitPoints[f].length + 1;
    if (bins < 2) continue;
    const sumG = new Float64Array(bins);
    const sumH = new Float64Array(bins);
    const count = new Int32Array(bins);
    const column = binned[f];
    for (const i of rows) {
      const b = column[i];
      sumG[b] += gradient[i];
      sumH[b] += hessian[i];
      count[b] += 1;
    }
    let g = 0;
    let h = 0;
    let c = 0;
    for (let b = 0; b < bins - 1; b++) {
      g += sumG[b];
      h += sumH[b];
      c += count[b];
      if (c < options.minSamplesPerLeaf) continue;
      if (rows.length - c < options.minSamplesPerLeaf) break;
      const rightH = totalHessian - h;
      if (h < MIN_HESSIAN || rightH < MIN_HESSIAN) continue;
      const rightG = totalGradient - g;
      const gain = (g * g) / (h + lambda) + (rightG * rightG) / (rightH + lambda) - parentScore;
      if (gain > 1e-9 && (!best || gain > best.gain)) best = { gain, feature: f, bin: b };
    }
  }
  return best;
}
