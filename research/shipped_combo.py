"""The shipped network's validation mean logits (models/<version>/validation-scores.json) with the
TypeScript cycle model's in-distribution logits (cycle-model-check.ts) added: AUC and best MAcc."""
import json, os, sys
import numpy as np
from harness import RECS, HERE, auc, macc_best

# Default 1.5.0: 1.2.0's network unchanged (identical meanLogit); 1.2.0 is no longer in models/.
version = sys.argv[1] if len(sys.argv) > 1 else '1.5.0'
scores = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), f'../models/{version}/validation-scores.json')))
by_id = {s['id']: s['meanLogit'] for s in scores}
val = [r for r in RECS if r['val']]
assert len(val) == len(scores) and all(r['id'] in by_id for r in val)
cycle = np.array(json.load(open(os.path.join(HERE, 'ts-cycle-model-logits.json')))['indist'])
cnn = np.array([by_id[r['id']] for r in val]); y = np.array([r['y'] for r in val]); sub = np.array([r['subset'] for r in val])
for name, s in (('network', cnn), ('cycle model', cycle), ('sum', cnn + cycle), ('sum, cycle x0.5', cnn + 0.5 * cycle)):
    per = ' '.join(f'{k[-1]} {auc(y[sub == k], s[sub == k]):.3f}' for k in sorted(set(sub)) if 0 < y[sub == k].sum() < (sub == k).sum())
    print(f'{name:16s} AUC {auc(y, s):.3f} best MAcc {macc_best(y, s)[0]:.3f} | {per}')
