"""The TypeScript cycle model's logits (cycle-model-check.ts) alone and added to window CNN runs'
saved scores (logit sum, what the product does), in-distribution and by LOSO fold:
  ts_cycle_combo.py base-s11 full-s11 ..."""
import json, os, sys
import numpy as np
from harness import RECS, HERE, auc, macc_best

ts = json.load(open(os.path.join(HERE, 'ts-cycle-model-logits.json')))
y = np.array([r['y'] for r in RECS]); sub = np.array([r['subset'] for r in RECS]); val = np.array([r['val'] for r in RECS])
for name in sys.argv[1:]:
    for fold in ('indist', 'training-a', 'training-b', 'training-d', 'training-e'):
        path = os.path.join(HERE, f'scores-{name}-{fold}.npz')
        if not os.path.exists(path): continue
        d = np.load(path)
        cnn, ty = (d['val_s'], d['val_y']) if fold == 'indist' else (d['test_s'], d['test_y'])
        c = np.array(ts[fold]); both = np.asarray(cnn) + c
        line = f'{name} {fold:11s} CNN {auc(ty, cnn):.3f} | TS cycle model {auc(ty, c):.3f} | sum {auc(ty, both):.3f}'
        if fold == 'indist': line += f' (best MAcc {macc_best(ty, both)[0]:.3f} vs {macc_best(ty, cnn)[0]:.3f})'
        print(line, flush=True)
