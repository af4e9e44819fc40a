"""Beat-to-beat repeatability of the energy between the heart sounds (research, not product code).
A murmur comes back with every beat in the same place of the cycle; ambient noise, speech and
stethoscope rubbing do not, on any device. For each band of cycle_frames.py and for systole and
diastole (clear of the sounds), every valid cycle's log-energy profile is resampled to a fixed number
of points and centred; the feature is the mean correlation of each cycle's profile with the mean
profile of the other cycles. Eight columns appended to the 17 of cycle-feats-frames-win128.npy:

  CYCLE_WIN=128 /usr/bin/python3 research/cycle_repeat.py   # tmp/research/cycle-feats-frames-win128-repeat.npy
  HARNESS=<run> SCALE=1 WEIGHTS='[0.5]' /usr/bin/python3 research/ts_network_cycle_combo.py - cycle-feats-frames-win128-repeat.npy
"""
import os, time
from multiprocessing import Pool
import numpy as np
from harness import RECS, HERE
import cycle_frames as CF

POINTS = {'systole': 6, 'diastole': 8}
MARGIN = 3  # frames clear of a sound's centre, as cycle_frames.py


def profile(e, a, b, points):
    seg = e[max(a, 0):min(b, len(e))]
    if len(seg) < 3: return None
    p = np.interp(np.linspace(0, len(seg) - 1, points), np.arange(len(seg)), seg)
    return p - p.mean()


def repeatability(profiles):
    """Mean correlation of each profile with the mean of the others (nan under 3 profiles)."""
    if len(profiles) < 3: return np.nan
    P = np.array(profiles); total = P.sum(axis=0); scores = []
    for p in P:
        rest = (total - p) / (len(P) - 1)
        denom = np.linalg.norm(p) * np.linalg.norm(rest)
        if denom > 1e-9: scores.append(float(p @ rest / denom))
    return np.mean(scores) if scores else np.nan


def repeat_features(i):
    x = RECS[i]['x']
    L = CF.mel_power(x); segs = CF.segment(x, L)
    out = np.full(2 * len(CF.BANDS), np.nan)
    c = CF.sound_centres(segs)
    if len(c) < 4: return out
    P = np.exp(L)
    energy = [np.log(P[:, CF.BAND_OF_MEL == k].sum(axis=1) + 1e-12) for k in range(len(CF.BANDS))]
    profiles = {(k, ph): [] for k in range(len(CF.BANDS)) for ph in POINTS}
    for s1, s2, nxt in CF.valid_cycles(c):
        for k in range(len(CF.BANDS)):
            for ph, (a, b) in (('systole', (s1 + MARGIN, s2 - MARGIN + 1)), ('diastole', (s2 + MARGIN, nxt - MARGIN + 1))):
                p = profile(energy[k], a, b, POINTS[ph])
                if p is not None: profiles[(k, ph)].append(p)
    return np.array([repeatability(profiles[(k, ph)]) for k in range(len(CF.BANDS)) for ph in POINTS])


if __name__ == '__main__':
    t = time.time()
    with Pool(int(os.environ.get('PROCS', 2))) as pool:
        R = np.stack(pool.map(repeat_features, range(len(RECS)), chunksize=16))
    base = np.load(os.path.join(HERE, f'cycle-feats-frames-win{CF.WIN}.npy'))
    np.save(os.path.join(HERE, f'cycle-feats-frames-win{CF.WIN}-repeat.npy'), np.concatenate([base, R], axis=1))
    from harness import auc
    y = np.array([r['y'] for r in RECS]); sub = np.array([r['subset'] for r in RECS])
    print(f'{len(R)} recordings in {time.time() - t:.0f} s; missing {np.isnan(R[:, 0]).mean():.3f}')
    names = [f'{lo}-{hi} Hz {ph}' for lo, hi in CF.BANDS for ph in POINTS]
    for j, n in enumerate(names):
        ok = ~np.isnan(R[:, j])
        print(f'{n:22s} ' + ' '.join(f'{s[-1]} {auc(y[ok & (sub == s)], R[ok & (sub == s), j]):.3f}' for s in sorted(set(sub))))
