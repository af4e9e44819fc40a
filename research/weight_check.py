"""Network mean logit + w x the TypeScript cycle model's logit, for a few w: mean and worst held-out
database AUC over the LOSO folds of harness runs, and in-distribution on the shipped network."""
import json, os, sys
import numpy as np
from harness import RECS, HERE, auc, macc_best

ts = json.load(open(os.path.join(HERE, 'ts-cycle-model-logits.json')))
# 1.5.0 ships 1.2.0's network unchanged (same model.onnx, identical meanLogit for all 533 records), so its
# file gives the 1.2.0 figures; 1.2.0 itself is no longer in models/ (git history has it).
scores = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '../models/1.5.0/validation-scores.json')))
by_id = {s['id']: s['meanLogit'] for s in scores}
val = [r for r in RECS if r['val']]
cnn_v = np.array([by_id[r['id']] for r in val]); y_v = np.array([r['y'] for r in val]); sub_v = np.array([r['subset'] for r in val])
for w in (0, 0.25, 0.5, 0.75, 1.0):
    s = cnn_v + w * np.array(ts['indist'])
    line = f'w {w:4.2f} | shipped 1.2.0 validation AUC {auc(y_v, s):.3f} MAcc {macc_best(y_v, s)[0]:.3f} (a {auc(y_v[sub_v == "training-a"], s[sub_v == "training-a"]):.3f} b {auc(y_v[sub_v == "training-b"], s[sub_v == "training-b"]):.3f})'
    for name in sys.argv[1:]:
        folds = []
        for fold in ('training-a', 'training-b', 'training-d', 'training-e'):
            path = os.path.join(HERE, f'scores-{name}-{fold}.npz')
            if not os.path.exists(path): continue
            d = np.load(path); folds.append(auc(d['test_y'], np.asarray(d['test_s']) + w * np.array(ts[fold])))
        if len(folds) == 4: line += f' | {name} LOSO mean {np.mean(folds):.3f} worst {np.min(folds):.3f}'
    print(line)
