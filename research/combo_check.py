import os, numpy as np
from scipy.stats import rankdata
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from harness import RECS, HERE, auc
X = np.load(os.path.join(HERE, 'cycle-feats.npy')); X = np.where(np.isnan(X), np.nanmedian(X, axis=0), X)
y = np.array([r['y'] for r in RECS]); sub = np.array([r['subset'] for r in RECS])
for name in ['base2', 'synth30']:
    for held in ['training-a', 'training-b', 'training-d', 'training-e']:
        d = np.load(os.path.join(HERE, f'scores-{name}-{held}.npz'))
        tr = sub != held
        lr = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, class_weight='balanced', max_iter=2000)).fit(X[tr], y[tr])
        c = lr.predict_proba(X[~tr])[:, 1]; cnn = d['test_s']; ty = d['test_y']
        assert (ty == y[~tr]).all()
        out = [auc(ty, cnn), auc(ty, c)] + [auc(ty, w * rankdata(cnn) + (1 - w) * rankdata(c)) for w in (0.7, 0.5)]
        print(name, held, 'CNN %.3f cycle-LR %.3f  rank-avg w.7 %.3f w.5 %.3f' % tuple(out))
