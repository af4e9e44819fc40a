"""Two harness networks and the heart-cycle model in one score (research, not product code): each
network's logits divided by their spread on its own validation records (as SCALE=1), the second
weighted v, plus w x the heart-cycle model's logit (boosting on a cycle_frames.py cache, fitted on the
records the networks did not score, as ts_network_cycle_combo.py).

  /usr/bin/python3 scripts/research/two_network_combo.py <run> <second run> [cache] [v grid] [w grid]
  e.g. two_network_combo.py snorm-s11-rerun12 snorm-sounds-s11 cycle-feats-frames-win128.npy '[0, 0.5, 1]' '[0.5]'
"""
import json, os, sys
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from harness import HERE, auc

index = json.load(open(os.path.join(HERE, 'index.json')))
y = np.array([r['label'] == 'abnormal' for r in index], dtype=int)
FOLDS = ['training-a', 'training-b', 'training-d', 'training-e']


def scaled(run, part):
    d = np.load(os.path.join(HERE, f'scores-{run}-{part}.npz'))
    s = d['val_s'] if part == 'indist' else d['test_s']
    return np.asarray(s) / np.std(d['val_s'])


def rows_of(part):
    if part == 'indist': return np.array([i for i, r in enumerate(index) if r['validation']])
    return np.array([i for i, r in enumerate(index) if r['subset'] == part])


def cycle_logits(X, part):
    test = rows_of(part); train = np.setdiff1d(np.arange(len(index)), test)
    Xf = np.where(np.isnan(X), np.nanmedian(X[train], axis=0), X)
    model = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, class_weight='balanced', random_state=0)
    return model.fit(Xf[train], y[train]).decision_function(Xf[test])


if __name__ == '__main__':
    first, second = sys.argv[1], sys.argv[2]
    X = np.load(os.path.join(HERE, sys.argv[3] if len(sys.argv) > 3 else 'cycle-feats-frames-win128.npy'))
    vs = json.loads(sys.argv[4]) if len(sys.argv) > 4 else [0, 0.5, 1]
    ws = json.loads(sys.argv[5]) if len(sys.argv) > 5 else [0.5]
    parts = ['indist'] + FOLDS
    cycle = {p: cycle_logits(X, p) for p in parts}
    for v in vs:
        for w in ws:
            out = {p: auc(y[rows_of(p)], scaled(first, p) + v * scaled(second, p) + w * cycle[p]) for p in parts}
            held = [out[p] for p in FOLDS]
            print(f'v={v} w={w}: ' + ' '.join(f'{p} {a:.3f}' for p, a in out.items()) + f' | mean a,b,d,e {np.mean(held):.3f} worst {min(held):.3f}', flush=True)
