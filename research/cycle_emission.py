"""Self-trained emissions for the heart-sound segmentation (research, not product code).

Springer's HSMM scores each 20-ms frame with a logistic regression trained on hand-annotated cycles;
the shared data has no annotations, so cycle_frames.py uses a fixed logistic of the frame energy
(loud = a heart sound). Here the fixed segmentation labels every frame of the training records
(S1, systole, S2, diastole), a four-class logistic regression learns those labels from richer frame
features (four band energies, the envelope a few frames before and after), and the Viterbi runs again
with its posteriors divided by the state priors as emissions (Springer's conversion). The cycle
features and the gradient boosting of cycle_frames.py are then measured as there, by leave-one-
subset-out: the emission model of a fold never sees the held-out database's frames.

  CYCLE_WIN=128 /usr/bin/python3 research/cycle_emission.py   [PASSES=2 PROCS=2 EMISSION_FEATURES=base]
"""
import os, pickle, time
from multiprocessing import Pool
import numpy as np
from scipy.signal import sosfiltfilt
from sklearn.linear_model import LogisticRegression
from harness import RECS, HERE, auc
import cycle_frames as CF
import segment_hsmm as H

PASSES = int(os.environ.get('PASSES', 2))  # 2 = one refit on the fixed segmentation's labels
PROCS = int(os.environ.get('PROCS', 2))
CONTEXT = 3  # frames (60 ms) before and after
# EMISSION_FEATURES=base: the learnt emission sees only the fixed one's two envelope features.
BASE_ONLY = os.environ.get('EMISSION_FEATURES') == 'base'
FOLDS = ['in-distribution', 'training-a', 'training-b', 'training-d', 'training-e']


def frame_inputs(x):
    """Log-mel, the fixed segmentation's two features, the HSMM's duration model and the frame
    features of the emission model ([frames, 9]), or None under 2 s."""
    L = CF.mel_power(x)
    if len(L) < 2 * CF.FS: return None
    log_amplitude = 0.5 * np.log(np.exp(L).sum(axis=1))
    homomorphic = CF.robust(sosfiltfilt(CF.LOWPASS, log_amplitude))
    base = np.stack([homomorphic, CF.robust(log_amplitude)], 1)
    P = np.exp(L)
    bands = [CF.robust(sosfiltfilt(CF.LOWPASS, np.log(P[:, CF.BAND_OF_MEL == k].sum(axis=1) + 1e-9)))
             for k in range(len(CF.BANDS))]
    before = np.concatenate([np.full(CONTEXT, homomorphic[0]), homomorphic[:-CONTEXT]])
    after = np.concatenate([homomorphic[CONTEXT:], np.full(CONTEXT, homomorphic[-1])])
    feats = np.stack([homomorphic, base[:, 1], *bands, before, after, homomorphic ** 2], 1)
    bpm, systole_s = H.heart_rate(homomorphic)
    return dict(base=base, feats=feats, durations=H.durations(bpm, systole_s))


def frame_features(p):
    return p['base'] if BASE_ONLY else p['feats']


def labels_of(segs, n):
    out = np.zeros(n, int)
    for state, a, b in segs: out[a:b] = state
    return out


def first_pass(i):
    inp = frame_inputs(RECS[i]['x'])
    if inp is None: return None
    lo, hi, logdur = inp['durations']
    segs = H.viterbi(H.emissions_fixed(inp['base']), lo, hi, logdur)
    return dict(inp, segs=segs)


def fit_emission(passes, records):
    X = np.concatenate([frame_features(passes[i])[::3] for i in records if passes[i] is not None])
    y = np.concatenate([labels_of(passes[i]['segs'], len(passes[i]['feats']))[::3] for i in records if passes[i] is not None])
    mean, sd = X.mean(0), X.std(0) + 1e-9
    model = LogisticRegression(max_iter=300, C=1.0).fit((X - mean) / sd, y)
    log_prior = np.log(np.bincount(y, minlength=4) / len(y))
    return mean, sd, model, log_prior


_passes, _emission = None, None


def features_with(i):
    """Cycle features of record i and its segments: the learnt emission's segmentation, or the
    fixed one's when no emission model has been fitted."""
    p = _passes[i]
    if p is None: return np.full(17, np.nan), []
    if _emission is None: segs = p['segs']
    else:
        mean, sd, model, log_prior = _emission
        logb = model.predict_log_proba((frame_features(p) - mean) / sd) - log_prior
        lo, hi, logdur = p['durations']
        segs = H.viterbi(logb, lo, hi, logdur)
    CF.segment = lambda x, L=None, s=segs: s
    return CF.cycle_features(RECS[i]['x']), segs


def main():
    global _passes, _emission
    y = np.array([r['y'] for r in RECS]); sub = np.array([r['subset'] for r in RECS]); val = np.array([r['val'] for r in RECS])
    cache = os.path.join(HERE, f'cycle-emission-pass1-win{CF.WIN}.pkl')
    if os.path.exists(cache): first = pickle.load(open(cache, 'rb'))
    else:
        t = time.time()
        with Pool(PROCS) as pool: first = pool.map(first_pass, range(len(RECS)), chunksize=16)
        pickle.dump(first, open(cache, 'wb')); print(f'first pass in {time.time() - t:.0f} s', flush=True)
    from sklearn.ensemble import HistGradientBoostingClassifier
    gbm = lambda: HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, class_weight='balanced', random_state=0)
    out = {}
    X_fixed = None
    for fold in FOLDS:
        train = ~val if fold == 'in-distribution' else sub != fold
        test = val if fold == 'in-distribution' else ~train
        _passes, _emission = first, None
        if PASSES == 1:
            if X_fixed is None:
                with Pool(PROCS) as pool: X_fixed = np.stack([r[0] for r in pool.map(features_with, range(len(RECS)), chunksize=16)])
            X = X_fixed
        for _ in range(PASSES - 1):
            t = time.time()
            _emission = fit_emission(_passes, np.flatnonzero(train))
            with Pool(PROCS) as pool: results = pool.map(features_with, range(len(RECS)), chunksize=16)
            X = np.stack([r[0] for r in results])
            _passes = [None if p is None else dict(p, segs=r[1]) for p, r in zip(_passes, results)]
            print(f'{fold}: refit and segmented again in {time.time() - t:.0f} s, missing {np.isnan(X[:, 0]).sum()}', flush=True)
        np.save(os.path.join(HERE, f'cycle-feats-emission-{fold}-win{CF.WIN}-p{PASSES}{"-base" if BASE_ONLY else ""}.npy'), X)
        Xf = np.where(np.isnan(X), np.nanmedian(X[train], axis=0), X)
        out[fold] = auc(y[test], gbm().fit(Xf[train], y[train]).predict_proba(Xf[test])[:, 1])
        print(fold, round(out[fold], 3), flush=True)
    print(f'GBM, {PASSES} passes', {k: round(v, 3) for k, v in out.items()}, flush=True)


if __name__ == '__main__':
    main()
