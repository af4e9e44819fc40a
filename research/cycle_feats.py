"""Heart-cycle-relative features (energy between the heart sounds relative to the heart sounds
themselves, per band; rhythm), which a stethoscope's gain and frequency response cancel out of.
Judged by leave-one-subset-out with gradient boosting and logistic regression."""
import os, time
import numpy as np
from scipy.signal import butter, sosfiltfilt
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from harness import RECS, SR, HERE, auc

BANDS = [(25, 50), (50, 100), (100, 200), (200, 400)]
# each band as a 4th-order high-pass and a 4th-order low-pass in cascade (what libs/audio can build)
SOS = [np.vstack([butter(4, lo, 'highpass', fs=SR, output='sos'), butter(4, hi, 'lowpass', fs=SR, output='sos')]) for lo, hi in BANDS]
BLOCK = 40  # 20 ms


def envelope(x):
    n = len(x) // BLOCK
    e = np.abs(x[:n * BLOCK]).reshape(n, BLOCK).mean(1)
    return np.convolve(e, np.ones(3) / 3, 'same')


def peaks_of(env):
    lo, hi = np.percentile(env, 60), np.percentile(env, 98)
    if hi <= lo: return []
    thr = lo + 0.35 * (hi - lo); peaks = []
    for i in range(1, len(env) - 1):
        if env[i] >= thr and env[i] >= env[i - 1] and env[i] >= env[i + 1]:
            if peaks and (i - peaks[-1]) * BLOCK / SR < 0.18:
                if env[i] > env[peaks[-1]]: peaks[-1] = i
            else: peaks.append(i)
    return peaks


def sound_centres(x):
    """Centres (samples) of alternating heart sounds, starting with an S1, from the envelope peaks."""
    p = peaks_of(envelope(x))
    if len(p) < 5: return []
    gaps = np.diff(p) * BLOCK / SR
    # S1 starts the shorter of two consecutive gaps (systole < diastole at normal rates).
    even, odd = gaps[0::2].mean(), gaps[1::2].mean()
    first_s1 = 0 if even < odd else 1
    return [pp * BLOCK + BLOCK // 2 for pp in p[first_s1:]]


def hsmm_sound_centres(x):
    """The same from the HSMM segmentation (segment_hsmm.py): the middle of each S1 and S2."""
    import segment_hsmm
    segs = [sg for sg in segment_hsmm.segment(x) if sg[0] in (segment_hsmm.S1, segment_hsmm.S2) and sg[1] > 0]
    while segs and segs[0][0] != segment_hsmm.S1: segs = segs[1:]
    return [(a + b) // 2 for _, a, b in segs]


def cycle_features(x, centres_of=sound_centres):
    c = centres_of(x)
    nan = np.full(4 * 3 + 6, np.nan)
    if len(c) < 4: return nan
    band_energy = [sosfiltfilt(s, x) ** 2 for s in SOS]
    cum = [np.concatenate([[0], np.cumsum(b)]) for b in band_energy]
    def mean_energy(k, a, b):
        a, b = max(a, 0), min(b, len(x))
        return (cum[k][b] - cum[k][a]) / max(b - a, 1)
    half = int(0.05 * SR); margin = int(0.06 * SR)
    rows = []
    for i in range(0, len(c) - 2, 2):
        s1, s2, nxt = c[i], c[i + 1], c[i + 2]
        if not (0.15 * SR < s2 - s1 < 0.6 * SR and s2 - s1 < nxt - s2 + 0.1 * SR): continue
        row = []
        for k in range(len(BANDS)):
            e_s1 = mean_energy(k, s1 - half, s1 + half) + 1e-12
            e_s2 = mean_energy(k, s2 - half, s2 + half) + 1e-12
            e_sys = mean_energy(k, s1 + margin, s2 - margin) + 1e-12
            e_dia = mean_energy(k, s2 + margin, nxt - margin) + 1e-12
            row += [np.log(e_sys / e_s1), np.log(e_dia / e_s2), np.log(e_sys / e_dia)]
        row += [(s2 - s1) / SR, (nxt - s1) / SR]
        rows.append(row)
    if len(rows) < 2: return nan
    r = np.array(rows)
    med = np.median(r[:, :12], axis=0)
    cycle = r[:, 13]
    extra = [np.median(r[:, 12] / r[:, 13]), np.std(cycle) / np.mean(cycle), 60 / np.median(cycle), len(rows),
             np.log(np.median([mean_energy(1, cc - half, cc + half) for cc in c[1::2]]) + 1e-12)
             - np.log(np.median([mean_energy(1, cc - half, cc + half) for cc in c[0::2]]) + 1e-12),
             np.percentile(r[:, 2], 90) - np.percentile(r[:, 2], 10)]
    return np.concatenate([med, extra])


def build(hsmm=False):
    cache = os.path.join(HERE, 'cycle-feats-hsmm.npy' if hsmm else 'cycle-feats.npy')
    if os.path.exists(cache): return np.load(cache)
    t = time.time(); X = np.stack([cycle_features(r['x'], hsmm_sound_centres if hsmm else sound_centres) for r in RECS])
    print('features', X.shape, f'{time.time() - t:.0f}s', 'missing', np.isnan(X[:, 0]).sum(), flush=True)
    np.save(cache, X); return X


if __name__ == '__main__':
    import sys
    X = build(hsmm='hsmm' in sys.argv[1:])
    y = np.array([r['y'] for r in RECS]); sub = np.array([r['subset'] for r in RECS]); val = np.array([r['val'] for r in RECS])
    gbm = lambda: HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, class_weight='balanced', random_state=0)
    lr = lambda: make_pipeline(StandardScaler(), LogisticRegression(C=0.1, class_weight='balanced', max_iter=2000))
    Xf = np.where(np.isnan(X), np.nanmedian(X, axis=0), X)
    for name, make, data in [('GBM', gbm, X), ('LR', lr, Xf)]:
        out = {}
        s = make().fit(data[~val], y[~val]).predict_proba(data[val])[:, 1]; out['indist'] = auc(y[val], s)
        per = {k: round(auc(y[val & (sub == k)], s[sub[val] == k]), 3) for k in ['training-a', 'training-b', 'training-e']}
        for held in ['training-a', 'training-b', 'training-d', 'training-e']:
            tr = sub != held
            out[held] = auc(y[~tr], make().fit(data[tr], y[tr]).predict_proba(data[~tr])[:, 1])
        print(name, {k: round(v, 3) for k, v in out.items()}, 'per-subset', per, flush=True)
