"""Recording-level hand-made features + GBM/logistic regression, judged by LOSO.
Quick probe of which descriptors transfer across databases."""
import json, os, sys, time
import numpy as np
import torch
from harness import RECS, Features, SR, auc, macc_best, macc_at, stratified_split
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.pipeline import make_pipeline

torch.set_num_threads(1)
HERE = os.environ.get('RESEARCH_DIR', os.path.join(os.path.dirname(os.path.abspath(__file__)), '../tmp/research'))


def logmel(x, n_mels=32, fmax=800):
    f = Features(n_mels=n_mels, fmax=fmax, norm='none')
    return f(torch.from_numpy(x[None].copy()))[0, 0].numpy()  # frames x mels


def envelope(x, rate=50):
    b = SR // rate; n = len(x) // b
    return np.abs(x[:n * b]).reshape(n, b).mean(1)


def autocorr_features(env, rate=50):
    e = env - env.mean(); en = (e * e).sum()
    if en <= 0: return [0, 0, 0]
    ac = np.correlate(e, e, 'full')[len(e) - 1:] / en
    ac *= len(e) / np.maximum(1, len(e) - np.arange(len(e)))
    lo, hi = int(0.3 * rate), min(len(ac) - 1, int(1.5 * rate))
    if hi <= lo: return [0, 0, 0]
    seg = ac[lo:hi + 1]; k = np.argmax(seg)
    return [seg[k], 60 * rate / (lo + k), np.median(seg)]


def rec_features(x):
    m = logmel(x)  # frames x 32, log power
    bands = m.shape[1]
    q = np.percentile(m, [10, 25, 50, 75, 90, 98], axis=0)  # 6 x bands
    f = []
    f += list(q[4] - q[0])  # dynamic range per band (gain/EQ invariant)
    f += list(q[5] - q[2])  # peak over median
    f += list(q[2] - q[2].mean())  # spectral shape (EQ dependent)
    d = np.diff(m, axis=0)
    f += list(np.abs(d).mean(0))  # temporal flux per band
    # correlation between low and high band envelopes (murmur fills between beats)
    lo = m[:, 2:8].mean(1); hi = m[:, 16:28].mean(1)
    f.append(np.corrcoef(lo, hi)[0, 1] if lo.std() > 0 and hi.std() > 0 else 0)
    env = envelope(x)
    f += autocorr_features(env)
    p = np.percentile(env, [50, 95]); f.append(p[0] / max(p[1], 1e-9))
    return np.array(f, dtype=np.float64)


def build(max_seconds=None):
    cache = os.path.join(HERE, f'feats-{max_seconds}.npy')
    if os.path.exists(cache): return np.load(cache)
    t = time.time()
    X = np.stack([rec_features(r['x'][:int(max_seconds * SR)] if max_seconds else r['x']) for r in RECS])
    print('features', X.shape, time.time() - t)
    np.save(cache, X); return X


def evaluate(X, make, name):
    y = np.array([r['y'] for r in RECS]); sub = np.array([r['subset'] for r in RECS]); val = np.array([r['val'] for r in RECS])
    out = {}
    clf = make().fit(X[~val], y[~val]); s = clf.predict_proba(X[val])[:, 1]
    out['indist'] = auc(y[val], s)
    per = {k: round(auc(y[val & (sub == k)], s[sub[val] == k]), 3) for k in sorted(set(sub))}
    for held in ['training-a', 'training-b', 'training-d', 'training-e']:
        tr = sub != held
        clf = make().fit(X[tr], y[tr]); s = clf.predict_proba(X[~tr])[:, 1]
        out[held] = auc(y[~tr], s)
    print(name, {k: round(v, 3) for k, v in out.items()}, 'per-subset indist', per, flush=True)


if __name__ == '__main__':
    X = build()
    gbm = lambda: HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, class_weight='balanced')
    lr = lambda: make_pipeline(StandardScaler(), LogisticRegression(C=0.1, class_weight='balanced', max_iter=2000))
    B = 32
    groups = {
        'all': slice(None),
        'dynrange': list(range(0, B)),
        'peak/median': list(range(B, 2 * B)),
        'shape': list(range(2 * B, 3 * B)),
        'flux': list(range(3 * B, 4 * B)),
        'invariant(dyn+peak+flux+misc)': list(range(0, 2 * B)) + list(range(3 * B, X.shape[1])),
    }
    for g, cols in groups.items():
        evaluate(X[:, cols], gbm, 'GBM ' + g)
        evaluate(X[:, cols], lr, 'LR  ' + g)
