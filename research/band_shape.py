"""How a recording's long-term spectral shape ranks its own database (research, not product code):
per subset, the AUC of each band's share of the 25-400 Hz power (Welch, 128-ms segments) and of the
overall level, used as a score on their own. Above 0.5 the feature is higher in abnormal recordings.

  /usr/bin/python3 research/band_shape.py
"""
import numpy as np
from scipy.signal import welch
from harness import RECS, auc

EDGES = [25, 40, 60, 90, 150, 250, 400]


def band_shares(x):
    f, p = welch(x, 2000, nperseg=256)
    total = p[(f >= 25) & (f < 400)].mean()
    shares = [np.log(p[(f >= lo) & (f < hi)].mean() / total) for lo, hi in zip(EDGES[:-1], EDGES[1:])]
    return shares + [np.log(np.sqrt(np.mean(x ** 2)))]


if __name__ == '__main__':
    features = np.array([band_shares(r['x']) for r in RECS])
    labels = np.array([r['y'] for r in RECS]); subsets = np.array([r['subset'] for r in RECS])
    names = [f'{lo}-{hi} Hz' for lo, hi in zip(EDGES[:-1], EDGES[1:])] + ['level (log RMS)']
    order = sorted(set(subsets))
    print('| feature | ' + ' | '.join(order) + ' |')
    for j, name in enumerate(names):
        print(f'| {name} | ' + ' | '.join(f'{auc(labels[subsets == s], features[subsets == s, j]):.3f}' for s in order) + ' |')
