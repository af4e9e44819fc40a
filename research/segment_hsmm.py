"""Heart-sound segmentation with a duration-dependent hidden semi-Markov model (research, not
product code), after Springer, Tarassenko & Clifford (2016): the four states S1 -> systole -> S2 ->
diastole repeat in that order, each with a Gaussian duration around what the recording's own heart
rate and systolic interval (from the envelope's autocorrelation) predict, and a duration-aware
Viterbi finds the most likely path. Springer's emission model is a logistic regression trained on
hand-annotated recordings; the shared data has no annotations, so the emissions here are a fixed
logistic function of a robustly normalised log homomorphic envelope (loud = a heart sound), and an
optional second pass refits a four-state logistic regression on the first pass's own labels
(self-training). The duration model is what a peak picker lacks: on a noisy recording it still
places one S1 and one S2 per beat at plausible spacings instead of chasing every loud click.

  segment(x) -> list of (state, start_sample, end_sample) at the signal's 2 kHz, state 0..3 =
  S1, systole, S2, diastole.
"""
import numpy as np
from scipy.signal import butter, sosfiltfilt, hilbert

SR = 2000
FS = 50  # feature rate (Springer's)
DOWN = SR // FS
# Springer low-passes the log envelope at 8 Hz with a first-order Butterworth; second order here, as
# the product's filter design (libs/audio butterworth.ts) has only even orders.
LOWPASS = butter(2, 8, 'lowpass', fs=SR, output='sos')
S1, SYS, S2, DIA = range(4)


def features(x):
    """[T, 2] at 50 Hz: log homomorphic envelope and log Hilbert envelope, each centred on its median
    and scaled by its inter-quartile range (robust to a few loud artifacts). The analytic signal is
    taken over the signal zero-padded to a power of two, as the TypeScript FFT needs."""
    size = 1 << int(np.ceil(np.log2(max(len(x), 2))))
    analytic = np.abs(hilbert(x, N=size)[:len(x)]) + 1e-8
    homomorphic = sosfiltfilt(LOWPASS, np.log(analytic))
    n = len(x) // DOWN
    cols = []
    for f in (homomorphic, np.log(analytic)):
        f = f[:n * DOWN].reshape(n, DOWN).mean(1)
        q1, med, q3 = np.percentile(f, [25, 50, 75])
        cols.append((f - med) / max(q3 - q1, 1e-3))
    return np.stack(cols, 1)


def heart_rate(env):
    """(beats per minute, systolic interval in s) from the envelope's autocorrelation (Springer)."""
    e = env - env.mean()
    ac = np.correlate(e, e, 'full')[len(e) - 1:]
    ac = ac / max(ac[0], 1e-9)
    lo, hi = int(0.5 * FS), min(int(2.0 * FS), len(ac) - 1)
    if hi <= lo: return 75.0, 0.3
    seg = ac[lo:hi + 1]
    peaks = [i for i in range(1, len(seg) - 1) if seg[i] >= seg[i - 1] and seg[i] >= seg[i + 1]]
    best = int(np.argmax(seg))
    # the first strong peak, not the highest: a slow or irregular rhythm can make the two-beat lag win
    lag = lo + next((i for i in peaks if seg[i] >= 0.75 * seg[best]), best)
    bpm = 60.0 * FS / lag
    s_lo, s_hi = int(0.2 * FS), max(int(0.2 * FS) + 1, int(lag / 2))
    sys_lag = s_lo + int(np.argmax(ac[s_lo:s_hi + 1]))
    return bpm, sys_lag / FS


def durations(bpm, systole_s):
    """Per state: (min, max) frames and log-probability of each duration 1..max (Gaussian)."""
    cycle = 60.0 / bpm
    mean = np.array([0.122, systole_s - 0.122, 0.094, cycle - systole_s - 0.094]) * FS
    sd = np.array([0.022, 0.025, 0.022, 0.07 * max(mean[3] / FS, 0.05) + 0.006]) * FS
    mean[1] = max(mean[1], 0.06 * FS); mean[3] = max(mean[3], 0.1 * FS)
    lo = np.maximum(1, np.floor(mean - 3 * sd)).astype(int)
    hi = np.maximum(lo + 1, np.ceil(mean + 3 * sd)).astype(int)
    d = np.arange(hi.max() + 1)[None, :]
    logp = -0.5 * ((d - mean[:, None]) / sd[:, None]) ** 2 - np.log(sd[:, None])
    return lo, hi, logp


def emissions_fixed(feat, slope=2.5, centre=0.6):
    """log P(observation | state) up to a constant: a heart sound is where the envelope is high."""
    z = 0.5 * (feat[:, 0] + feat[:, 1])
    loud = -np.logaddexp(0, -slope * (z - centre))    # log sigmoid
    quiet = -np.logaddexp(0, slope * (z - centre))    # log (1 - sigmoid)
    return np.stack([loud, quiet, loud, quiet], 1)


def viterbi(logb, lo, hi, logdur):
    """Most likely segmentation under the cyclic duration model; the first and last segments may
    be cut by the recording's edges (no duration term for them)."""
    T = len(logb)
    cum = np.vstack([np.zeros(4), np.cumsum(logb, 0)])  # [T+1, 4]
    delta = np.full((T + 1, 4), -np.inf)
    back_d = np.zeros((T + 1, 4), int)
    for t in range(1, T + 1):
        for j in range(4):
            prev = (j - 1) % 4
            d_max = min(hi[j], t)
            d = np.arange(1, d_max + 1)
            starts = t - d
            emit = cum[t, j] - cum[starts, j]
            from_prev = delta[starts, prev]
            if t == T:  # the last segment may be truncated by the end of the recording
                dur = np.zeros(len(d))
            else:
                dur = np.where(d >= lo[j], logdur[j, d], -np.inf)
            first = np.where(starts == 0, np.log(0.25), -np.inf)  # the first segment, possibly truncated
            total = np.maximum(from_prev + dur, first) + emit
            k = int(np.argmax(total))
            delta[t, j] = total[k]; back_d[t, j] = d[k]
    segs = []; t = T; j = int(np.argmax(delta[T]))
    while t > 0:
        d = back_d[t, j]; segs.append((j, t - d, t)); t -= d; j = (j - 1) % 4
    return segs[::-1]


def segment(x, emission=None):
    feat = features(x)
    if len(feat) < 2 * FS: return []
    bpm, systole_s = heart_rate(feat[:, 0])
    lo, hi, logdur = durations(bpm, systole_s)
    logb = emissions_fixed(feat) if emission is None else emission(feat)
    return [(s, a * DOWN, b * DOWN) for s, a, b in viterbi(logb, lo, hi, logdur)]


def cycles(segs):
    """(S1 start, S2 start, next S1 start) in samples for every complete cycle."""
    out = []
    for i in range(len(segs) - 4):
        if segs[i][0] == S1 and segs[i + 2][0] == S2 and segs[i + 4][0] == S1 and segs[i][1] > 0:
            out.append((segs[i][1], segs[i + 2][1], segs[i + 4][1]))
    return out
