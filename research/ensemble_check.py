"""Ensemble of several harness runs (their saved record scores, mean window logits, averaged) by
fold, next to each run alone:  ensemble_check.py name1 name2 [...]"""
import os, sys
import numpy as np
from sklearn.metrics import roc_auc_score

HERE = os.environ.get('RESEARCH_DIR', os.path.join(os.path.dirname(os.path.abspath(__file__)), '../tmp/research'))
names = sys.argv[1:]
for fold in ('indist', 'training-a', 'training-b', 'training-d', 'training-e'):
    runs = [np.load(os.path.join(HERE, f'scores-{n}-{fold}.npz')) for n in names if os.path.exists(os.path.join(HERE, f'scores-{n}-{fold}.npz'))]
    if len(runs) < 2: continue
    key_s, key_y = ('val_s', 'val_y') if fold == 'indist' else ('test_s', 'test_y')
    y = runs[0][key_y]
    singles = [roc_auc_score(y, r[key_s]) for r in runs]
    mean_s = np.mean([r[key_s] for r in runs], axis=0)
    line = f'{fold:11s} singles ' + ' '.join(f'{a:.3f}' for a in singles) + f'  mean {np.mean(singles):.3f}  ensemble {roc_auc_score(y, mean_s):.3f}'
    if fold == 'indist':
        sub = runs[0]['val_sub']
        per = []
        for s_ in sorted(set(sub)):
            m = sub == s_
            if 0 < y[m].sum() < m.sum(): per.append(f'{s_[-1]} {roc_auc_score(y[m], mean_s[m]):.3f}')
        line += '  (' + ', '.join(per) + ')'
    print(line)
