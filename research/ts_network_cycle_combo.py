"""Heart-cycle feature sets judged with the product's own networks (research, not product code): the
shipped network's mean window logits on its validation split (models/<v>/validation-scores.json) and
the TypeScript leave-one-subset-out fold networks' logits on their held-out subset
(tmp/loso/<subset>/held-out-scores.json), plus w x the logit of gradient boosting fitted on a feature
cache of cycle_frames.py (on every record the network did not score: the fold's other subsets, or the
shipped split's training part). Prints AUC per fold for each cache and weight.

  /usr/bin/python3 research/ts_network_cycle_combo.py models/1.5.0 cycle-feats-frames-win128.npy cycle-feats-frames-win128-extra.npy
  HARNESS=vrex3-s11 /usr/bin/python3 research/ts_network_cycle_combo.py - cycle-feats-frames-win128.npy   # a harness run's networks
  ... ts_network_cycle_combo.py models/1.5.0 'cycle-feats-emission-{fold}-win128-p2.npy'   # one cache per fold

Options by environment: HARNESS=<run> (harness.py's score files instead of the TypeScript networks),
SCALE=1 (with HARNESS: logits divided by their spread on the network's own validation records),
WEIGHTS='[0, 0.5]' (the grid of w), GBM='{...}' (boosting settings), CELL_WEIGHTS=1 (boosting with
equal (database, label) cells), CYCLE_MODEL=lr (logistic regression instead), DROP=14,15 (columns left out),
CONSISTENT=1 (only columns whose direction agrees across the training databases; CONSISTENT_FROM=17 tests
only the columns from the 18th on), SECOND=<run> with HARNESS (a second harness run's logits added at
matched scale, weighted by each v of SECOND_WEIGHTS='[0, 0.5, 1]').
"""
import json, os, sys
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from harness import HERE, auc

ROOT = os.path.join(HERE, '..')
index = json.load(open(os.path.join(ROOT, 'tmp', 'research', 'index.json')))
key = {(r['subset'], r['id']): i for i, r in enumerate(index)}
y = np.array([r['label'] == 'abnormal' for r in index], dtype=int)


def network_scores(file):
    rows = json.load(open(file))
    return np.array([key[(r['subset'], r['id'])] for r in rows]), np.array([r['meanLogit'] for r in rows])


# GBM='{"max_iter": 50, "max_leaf_nodes": 8}' overrides the shipped settings (150 trees of up to 31 leaves).
GBM = json.loads(os.environ.get('GBM', '{}'))


def consistent_columns(X, train, margin=0.05, min_per_label=5):
    """Columns whose association with the label points the same way in every training database
    (CONSISTENT=1): a database counts for a direction when the feature alone ranks it with AUC beyond
    0.5 +- margin; a column with databases on both sides is left out, being a cue of the database's
    recording conditions rather than of the heart."""
    keep = []
    for j in range(X.shape[1]):
        sides = set()
        for subset in sorted({index[i]['subset'] for i in train}):
            rows = np.array([i for i in train if index[i]['subset'] == subset and not np.isnan(X[i, j])])
            if len(rows) == 0 or min(y[rows].sum(), (1 - y[rows]).sum()) < min_per_label: continue
            a = auc(y[rows], X[rows, j])
            if abs(a - 0.5) > margin: sides.add(a > 0.5)
        if len(sides) < 2: keep.append(j)
    return keep


def cycle_model_logits(X, train, test):
    if os.environ.get('CONSISTENT') == '1':
        # CONSISTENT_FROM=17: test only the columns from there on (those a cache adds to the shipped 17)
        first = int(os.environ.get('CONSISTENT_FROM', '0'))
        keep = list(range(first)) + [first + j for j in consistent_columns(X[:, first:], train)]
        print(f'   consistent columns: {len(keep)} of {X.shape[1]}', flush=True)
        X = X[:, keep]
    Xf = np.where(np.isnan(X), np.nanmedian(X[train], axis=0), X)
    if os.environ.get('CYCLE_MODEL') == 'lr':  # logistic regression on standardised features instead
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        lr = make_pipeline(StandardScaler(), LogisticRegression(C=float(os.environ.get('LR_C', '1')), class_weight='balanced', max_iter=2000))
        return lr.fit(Xf[train], y[train]).decision_function(Xf[test])
    settings = {'max_iter': 150, 'learning_rate': 0.05, 'class_weight': 'balanced', 'random_state': 0, **GBM}
    sample_weight = None
    if os.environ.get('CELL_WEIGHTS') == '1':  # every (database, label) cell weighs the same instead of every class
        cells = [(index[i]['subset'], y[i]) for i in train]
        counts = {c: cells.count(c) for c in set(cells)}
        sample_weight = np.array([1.0 / counts[c] for c in cells])
        sample_weight *= len(train) / sample_weight.sum()
        del settings['class_weight']
    model = HistGradientBoostingClassifier(**settings)
    return model.fit(Xf[train], y[train], sample_weight=sample_weight).decision_function(Xf[test])


def harness_scores(run, part, matched_scale=os.environ.get('SCALE') == '1'):
    """A harness.py run's scores (HARNESS=<run name>) instead of the TypeScript networks': its
    in-distribution validation records, or a fold's held-out subset, in index order."""
    d = np.load(os.path.join(HERE, f'scores-{run}-{part}.npz'))
    # SCALE=1 divides the logits by their spread on the network's own validation records, so that
    # networks whose logits are smaller are compared at the same effective weight of the cycle model.
    scale = np.std(d['val_s']) if matched_scale else 1.0
    if part == 'indist':
        return np.array([i for i, r in enumerate(index) if r['validation']]), np.asarray(d['val_s']) / scale
    return np.array([i for i, r in enumerate(index) if r['subset'] == part]), np.asarray(d['test_s']) / scale


model_dir, caches = sys.argv[1], sys.argv[2:]
run = os.environ.get('HARNESS')
if run:
    sets = {'in-distribution': harness_scores(run, 'indist')}
    for subset in ['training-a', 'training-b', 'training-d', 'training-e']:
        sets[subset] = harness_scores(run, subset)
second_run = os.environ.get('SECOND')
if second_run:
    seconds = {name: harness_scores(second_run, 'indist' if name == 'in-distribution' else name, True)[1] for name in sets}
else:
    sets = {'in-distribution': network_scores(os.path.join(ROOT, model_dir, 'validation-scores.json'))}
    for subset in ['training-a', 'training-b', 'training-c', 'training-d', 'training-e']:
        sets[subset] = network_scores(os.path.join(ROOT, 'tmp', 'loso', subset, 'held-out-scores.json'))
def features(cache, fold):
    """A cache's features; a name with {fold} holds one cache per fold (cycle_emission.py, whose
    segmentation of a fold was learnt without the held-out database)."""
    X = np.load(os.path.join(HERE, cache.format(fold=fold)))
    if os.environ.get('DROP'):  # DROP=14,15: leave out those feature columns
        X = np.delete(X, [int(c) for c in os.environ['DROP'].split(',')], axis=1)
    return X


for cache in caches:
    for v in json.loads(os.environ.get('SECOND_WEIGHTS', '[0, 0.5, 1]')) if second_run else [0]:
        for w in json.loads(os.environ.get('WEIGHTS', '[0, 0.25, 0.5, 1]')):
            out = {}
            for name, (rows, logits) in sets.items():
                if v: logits = logits + v * seconds[name]
                train = np.setdiff1d(np.arange(len(index)), rows) if name == 'in-distribution' else \
                    np.array([i for i, r in enumerate(index) if r['subset'] != name])
                out[name] = auc(y[rows], logits + w * cycle_model_logits(features(cache, name), train, rows)) if w else auc(y[rows], logits)
            held = [out[s] for s in ['training-a', 'training-b', 'training-d', 'training-e']]
            print(f'{cache}{f" v={v}" if second_run else ""} w={w}: ' + ' '.join(f'{k} {a:.3f}' for k, a in out.items()) +
                  f' | mean a,b,d,e {np.mean(held):.3f} worst {min(held):.3f}', flush=True)
