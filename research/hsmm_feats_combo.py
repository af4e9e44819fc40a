"""Window CNN runs (harness.py saved scores) rank-averaged with the HSMM cycle features
(cycle_feats.py hsmm; GBM and LR), in-distribution and by LOSO fold:
  hsmm_feats_combo.py base-s11 base-s12 ..."""
import os, sys
import numpy as np
from scipy.stats import rankdata
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from harness import RECS, HERE, auc, macc_best

X = np.load(os.path.join(HERE, os.environ.get("FEATS", "cycle-feats-hsmm.npy")))
DROP = [int(v) for v in os.environ.get("DROP", "").split(",") if v]  # feature columns to leave out
X = np.delete(X, DROP, axis=1); Xf = np.where(np.isnan(X), np.nanmedian(X, axis=0), X)
y = np.array([r['y'] for r in RECS]); sub = np.array([r['subset'] for r in RECS]); val = np.array([r['val'] for r in RECS])
makers = {
    'GBM': (lambda: HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, class_weight='balanced', random_state=0), X),
    'GBM-imputed': (lambda: HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, class_weight='balanced', random_state=0), Xf),
    'LR': (lambda: make_pipeline(StandardScaler(), LogisticRegression(C=0.1, class_weight='balanced', max_iter=2000)), Xf),
}
ra = lambda a, b: (rankdata(a) + rankdata(b)) / (2 * len(a))
for name in sys.argv[1:]:
    for fold in ('indist', 'training-a', 'training-b', 'training-d', 'training-e'):
        path = os.path.join(HERE, f'scores-{name}-{fold}.npz')
        if not os.path.exists(path): continue
        d = np.load(path)
        if fold == 'indist': tr, te, cnn, ty = ~val, val, d['val_s'], d['val_y']
        else: tr, te, cnn, ty = sub != fold, sub == fold, d['test_s'], d['test_y']
        assert (np.asarray(ty) == y[te]).all()
        line = f'{name} {fold:11s} CNN {auc(ty, cnn):.3f}'
        for k, (make, data) in makers.items():
            c = make().fit(data[tr], y[tr]).predict_proba(data[te])[:, 1]
            both = ra(cnn, c)
            # what a product can do per recording (no population to rank in): add the two log-odds
            logit_sum = np.asarray(cnn) + np.log(np.clip(c, 1e-4, 1 - 1e-4) / np.clip(1 - c, 1e-4, 1))
            line += f' | {k} {auc(ty, c):.3f} avg {auc(ty, both):.3f} logit-sum {auc(ty, logit_sum):.3f}'
            if fold == 'indist': line += f' (MAcc {macc_best(ty, both)[0]:.3f} vs {macc_best(ty, cnn)[0]:.3f})'
        print(line, flush=True)
