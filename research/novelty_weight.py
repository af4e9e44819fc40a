"""A heart-cycle weight that depends on how unlike the training devices a recording sounds (research,
not product code). The product adds w x the heart-cycle logit to the network's mean window logit
with one w (0.5), chosen so that the network's own validation split does not suffer; on a held-out
database a larger w is better (research/MODEL_RESEARCH.md, sixth session). Here w = W_IN for a recording
whose long-term spectrum is like a training database's and W_OUT for one unlike all of them.

Spectral signature of a recording: its mean log-mel spectrum (32 bands, 25-400 Hz, the heart-cycle
features' 64-ms frames) minus its own mean over bands (so gain does not count). Each training
database is a Gaussian over signatures (shrunk covariance); a recording's novelty is its smallest
Mahalanobis distance to them, as a percentile of the training records' own distances.

  cd tmp/research && HARNESS=base-s11 CYCLE_WIN=128 /usr/bin/python3 ../../research/novelty_weight.py cycle-feats-emission-{fold}-win128-p1.npy
"""
import json, os, sys
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from harness import HERE, RECS, auc
import cycle_frames as CF

index = json.load(open(os.path.join(HERE, 'index.json')))
y = np.array([r['y'] for r in RECS]); sub = np.array([r['subset'] for r in RECS]); val = np.array([r['val'] for r in RECS])
SHRINK = float(os.environ.get('SHRINK', 0.2))
QUANTILE = float(os.environ.get('QUANTILE', 0.99))


def signature(x):
    L = CF.mel_power(x)
    q10, q50, q90 = np.percentile(L, [10, 50, 90], axis=0)
    return np.concatenate([L.mean(0) - L.mean(), q10 - L.mean(), q50 - L.mean(), q90 - L.mean()])


def signatures():
    cache = os.path.join(HERE, f'spectral-signatures-win{CF.WIN}.npy')
    if os.path.exists(cache): return np.load(cache)
    S = np.stack([signature(r['x']) for r in RECS])
    np.save(cache, S)
    return S


K = int(os.environ.get('K', 10))


def novelty_knn(S, train):
    """Per record: mean distance to its K nearest training records (standardised signatures; a
    training record's own entry left out), and the QUANTILE of the training records' distances."""
    T = S[train]
    mu, sd = T.mean(0), T.std(0) + 1e-9
    Z, ZT = (S - mu) / sd, (T - mu) / sd
    train_idx = np.flatnonzero(train)
    dist = np.empty(len(S))
    for start in range(0, len(S), 256):
        block = Z[start:start + 256]
        d = np.sqrt(((block[:, None, :] - ZT[None, :, :]) ** 2).sum(-1))
        for j, i in enumerate(range(start, start + len(block))):
            if train[i]: d[j, np.searchsorted(train_idx, i)] = np.inf
        dist[start:start + len(block)] = np.sort(d, axis=1)[:, :K].mean(1)
    return dist, np.quantile(dist[train], QUANTILE)


def novelty(S, train):
    """Per record: smallest Mahalanobis distance to a training database's Gaussian, and the
    QUANTILE of the training records' own distances (each to its own database's Gaussian)."""
    gaussians = []
    for db in sorted(set(sub[train])):
        X = S[train & (sub == db)]
        if len(X) < 10: continue
        cov = np.cov(X, rowvar=False)
        cov = (1 - SHRINK) * cov + SHRINK * np.diag(np.diag(cov)) + 1e-6 * np.eye(len(cov))
        gaussians.append((db, X.mean(0), np.linalg.inv(cov)))
    d = np.stack([np.einsum('ij,jk,ik->i', S - m, P, S - m) for _, m, P in gaussians], 1)
    nearest = np.sqrt(d.min(1))
    own = np.array([np.sqrt(d[i, [g[0] for g in gaussians].index(sub[i])]) if sub[i] in [g[0] for g in gaussians] else np.inf
                    for i in range(len(S))])
    return nearest, np.quantile(own[train & np.isfinite(own)], QUANTILE)


def scores(run, part):
    d = np.load(os.path.join(HERE, f'scores-{run}-{part}.npz'))
    scale = np.std(d['val_s'])
    if part == 'indist': return np.flatnonzero(val), np.asarray(d['val_s']) / scale
    return np.flatnonzero(sub == part), np.asarray(d['test_s']) / scale


def cycle_logits(X, train, test):
    Xf = np.where(np.isnan(X), np.nanmedian(X[train], axis=0), X)
    m = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, class_weight='balanced', random_state=0)
    return m.fit(Xf[train], y[train]).decision_function(Xf[test])


if __name__ == '__main__':
    run, cache = os.environ['HARNESS'], sys.argv[1]
    S = signatures()
    grid = json.loads(os.environ.get('GRID', '[[0.5, 0.5], [0.5, 1], [0.5, 2], [0.5, 4]]'))
    folds = {'in-distribution': 'indist', 'training-a': 'training-a', 'training-b': 'training-b', 'training-d': 'training-d', 'training-e': 'training-e'}
    rows = {}
    for fold, part in folds.items():
        rows_idx, net = scores(run, part)
        train = ~val if fold == 'in-distribution' else sub != fold
        X = np.load(os.path.join(HERE, cache.format(fold=fold)))
        cyc = cycle_logits(X, np.flatnonzero(train), rows_idx)
        dist, limit = (novelty_knn if os.environ.get('NOVELTY') == 'knn' else novelty)(S, train)
        novel = dist[rows_idx] > limit
        rows[fold] = (rows_idx, net, cyc, novel)
        print(f'{fold}: novel {novel.mean():.2f} of {len(rows_idx)} (training records over the limit: {(dist[train] > limit).mean():.3f})', flush=True)
    for w_in, w_out in grid:
        out = {}
        for fold, (rows_idx, net, cyc, novel) in rows.items():
            out[fold] = auc(y[rows_idx], net + np.where(novel, w_out, w_in) * cyc)
        held = [out[s] for s in ['training-a', 'training-b', 'training-d', 'training-e']]
        print(f'w in {w_in} out {w_out}: ' + ' '.join(f'{k} {v:.3f}' for k, v in out.items()) +
              f' | mean a,b,d,e {np.mean(held):.3f} worst {min(held):.3f}', flush=True)
