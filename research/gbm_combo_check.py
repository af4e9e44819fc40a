import os, numpy as np
from scipy.stats import rankdata
from sklearn.ensemble import HistGradientBoostingClassifier
from harness import RECS, HERE, auc, macc_best
X = np.load(os.path.join(HERE, 'feats-None.npy'))
y = np.array([r['y'] for r in RECS]); sub = np.array([r['subset'] for r in RECS])
gbm = lambda: HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, class_weight='balanced', random_state=0)
for held in ['training-a', 'training-b', 'training-d', 'training-e']:
    d = np.load(os.path.join(HERE, f'scores-base2-{held}.npz')); tr = sub != held
    g = gbm().fit(X[tr], y[tr]).predict_proba(X[~tr])[:, 1]; c = d['test_s']; ty = d['test_y']
    print(held, 'CNN %.3f GBM %.3f rank-avg %.3f' % (auc(ty, c), auc(ty, g), auc(ty, rankdata(c) + rankdata(g))))
