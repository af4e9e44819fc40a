"""Heart-cycle segmentation and features from one log-mel spectrogram of the whole recording (research,
not product code): the HSMM of segment_hsmm.py on the frame energy instead of the Hilbert envelope,
and cycle_feats.py's band-energy ratios from mel bands instead of four zero-phase band-pass filters.
Same model and features, a fraction of the computation (one 256-point FFT per 20 ms instead of a
whole-signal FFT pair and 32 biquad passes), so that it fits the CLI's time budget.

  /usr/bin/python3 research/cycle_frames.py          # features cache + GBM/LR by LOSO
  CYCLE_WIN=128 /usr/bin/python3 research/cycle_frames.py   # the same with a 64-ms window
  CYCLE_WIN=128 CYCLE_EXTRA=1 /usr/bin/python3 research/cycle_frames.py   # + 9 systole/diastole-thirds features
"""
import os, sys, time
import numpy as np
from scipy.signal import butter, sosfiltfilt
from harness import RECS, SR, HERE, auc, mel_filterbank
import segment_hsmm as H

# CYCLE_WIN=128 gives the frames the CNN's compact input uses (64-ms window), so one FFT could serve both.
N_FFT, WIN, HOP, N_MELS, FMIN, FMAX = 256, int(os.environ.get('CYCLE_WIN', 80)), 40, 32, 25, 400
# CYCLE_EXTRA=1 adds 9 features of where in systole and diastole the energy sits (sixth session).
EXTRA = os.environ.get('CYCLE_EXTRA') == '1'
FS = SR // HOP  # 50 frames per second
FB = mel_filterbank(SR, N_FFT, N_MELS, FMIN, FMAX)
WINDOW = np.zeros(N_FFT); WINDOW[(N_FFT - WIN) // 2:(N_FFT - WIN) // 2 + WIN] = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WIN) / WIN)
LOWPASS = butter(2, 8, 'lowpass', fs=FS, output='sos')
BANDS = [(25, 50), (50, 100), (100, 200), (200, 400)]


def mel_centres():
    """Centre frequency of each mel band: where its triangle peaks."""
    return np.fft.rfftfreq(N_FFT, 1 / SR)[FB.argmax(axis=1)]


BAND_OF_MEL = np.array([next((k for k, (lo, hi) in enumerate(BANDS) if lo <= c < hi), len(BANDS) - 1) for c in mel_centres()])


def mel_power(x):
    """[frames, mels] linear mel power, librosa's centred frames (reflect padding), as libs/audio does."""
    padded = np.pad(x.astype(np.float64), N_FFT // 2, mode='reflect')
    n = 1 + len(x) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n)[:, None]
    spec = np.abs(np.fft.rfft(padded[idx] * WINDOW, axis=1)) ** 2
    return np.log(spec @ FB.T + 1e-6)


def robust(f):
    q1, med, q3 = np.percentile(f, [25, 50, 75])
    return (f - med) / max(q3 - q1, 1e-3)


def segment(x, logmel=None):
    """(state, start frame, end frame) segments, or [] under 2 s."""
    L = mel_power(x) if logmel is None else logmel
    if len(L) < 2 * FS: return []
    log_amplitude = 0.5 * np.log(np.exp(L).sum(axis=1))
    homomorphic = robust(sosfiltfilt(LOWPASS, log_amplitude))
    feat = np.stack([homomorphic, robust(log_amplitude)], 1)
    bpm, systole_s = H.heart_rate(feat[:, 0])
    lo, hi, logdur = H.durations(bpm, systole_s)
    return H.viterbi(H.emissions_fixed(feat), lo, hi, logdur)


def sound_centres(segs):
    """Centre frames of the S1 and S2 segments, starting at the first S1."""
    sounds = [sg for sg in segs if sg[0] in (H.S1, H.S2) and sg[1] > 0]
    while sounds and sounds[0][0] != H.S1: sounds = sounds[1:]
    return [(a + b) // 2 for _, a, b in sounds]


def valid_cycles(c):
    """(S1, S2, next S1) centre frames of each cycle with a plausible systole, shorter than its diastole."""
    for i in range(0, len(c) - 2, 2):
        s1, s2, nxt = c[i], c[i + 1], c[i + 2]
        if 0.15 * FS < s2 - s1 < 0.6 * FS and s2 - s1 < nxt - s2 + 0.1 * FS: yield s1, s2, nxt


def cycle_features(x):
    L = mel_power(x)
    segs = segment(x, L)
    nan = np.full(26 if EXTRA else 17, np.nan)
    c = sound_centres(segs)
    if len(c) < 4: return nan
    P = np.exp(L)
    band = np.stack([P[:, BAND_OF_MEL == k].sum(axis=1) for k in range(len(BANDS))])  # [4, frames]
    cum = np.concatenate([np.zeros((len(BANDS), 1)), np.cumsum(band, axis=1)], axis=1)
    def mean_energy(k, a, b):
        a, b = max(a, 0), min(b, band.shape[1])
        return (cum[k, b] - cum[k, a]) / max(b - a, 1)
    half, margin = 2, 3  # frames: +-40 ms around a sound's centre frame, 60 ms clear of it
    rows = []
    for s1, s2, nxt in valid_cycles(c):
        row = []
        for k in range(len(BANDS)):
            e_s1 = mean_energy(k, s1 - half, s1 + half + 1) + 1e-12
            e_s2 = mean_energy(k, s2 - half, s2 + half + 1) + 1e-12
            e_sys = mean_energy(k, s1 + margin, s2 - margin + 1) + 1e-12
            e_dia = mean_energy(k, s2 + margin, nxt - margin + 1) + 1e-12
            row += [np.log(e_sys / e_s1), np.log(e_dia / e_s2), np.log(e_sys / e_dia)]
        row += [(s2 - s1) / FS, (nxt - s1) / FS]
        if EXTRA:
            # Thirds of systole and diastole (clear of the sounds): a holosystolic or mid-systolic murmur
            # fills the middle of systole, an early-diastolic one the first third of diastole.
            sys0, sys1 = s1 + margin, s2 - margin + 1
            dia0, dia1 = s2 + margin, nxt - margin + 1
            sa, sb = sys0 + (sys1 - sys0) // 3, sys0 + 2 * (sys1 - sys0) // 3
            da, db = dia0 + (dia1 - dia0) // 3, dia0 + 2 * (dia1 - dia0) // 3
            for k in range(len(BANDS)):
                mid = mean_energy(k, sa, sb) + 1e-12
                edges = 0.5 * (mean_energy(k, sys0, sa) + mean_energy(k, sb, sys1)) + 1e-12
                early, late = mean_energy(k, dia0, da) + 1e-12, mean_energy(k, db, dia1) + 1e-12
                row += [np.log(mid / edges), np.log(early / late)]
        rows.append(row)
    if len(rows) < 2: return nan
    r = np.array(rows); cycle = r[:, 13]
    loud = lambda cs: np.log(np.median([mean_energy(1, cc - half, cc + half + 1) for cc in cs]) + 1e-12)
    base = np.concatenate([np.median(r[:, :12], axis=0),
                           [np.median(r[:, 12] / r[:, 13]), np.std(cycle) / np.mean(cycle), 60 / np.median(cycle),
                            loud(c[1::2]) - loud(c[0::2]), np.percentile(r[:, 2], 90) - np.percentile(r[:, 2], 10)]])
    if not EXTRA: return base
    # Medians of the thirds' ratios, and how consistent systole/diastole 100-200 Hz is from beat to beat.
    return np.concatenate([base, np.median(r[:, 14:22], axis=0), [np.percentile(r[:, 8], 90) - np.percentile(r[:, 8], 10)]])


if __name__ == '__main__':
    from sklearn.ensemble import HistGradientBoostingClassifier
    cache = os.path.join(HERE, ('cycle-feats-frames.npy' if WIN == 80 else f'cycle-feats-frames-win{WIN}.npy').replace('.npy', '-extra.npy' if EXTRA else '.npy'))
    if os.path.exists(cache): X = np.load(cache)
    else:
        t = time.time(); X = np.stack([cycle_features(r['x']) for r in RECS])
        print(f'features {X.shape} in {time.time() - t:.0f} s, missing {np.isnan(X[:, 0]).sum()}', flush=True); np.save(cache, X)
    y = np.array([r['y'] for r in RECS]); sub = np.array([r['subset'] for r in RECS]); val = np.array([r['val'] for r in RECS])
    Xf = np.where(np.isnan(X), np.nanmedian(X, axis=0), X)
    gbm = lambda: HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, class_weight='balanced', random_state=0)
    out = {'indist': auc(y[val], gbm().fit(Xf[~val], y[~val]).predict_proba(Xf[val])[:, 1])}
    for held in ['training-a', 'training-b', 'training-d', 'training-e']:
        tr = sub != held
        out[held] = auc(y[~tr], gbm().fit(Xf[tr], y[tr]).predict_proba(Xf[~tr])[:, 1])
    print('GBM (imputed)', {k: round(v, 3) for k, v in out.items()}, flush=True)
