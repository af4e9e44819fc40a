"""Research harness (not product code): replicate the TS training recipe in PyTorch so that
variants can be compared quickly by leave-one-subset-out (LOSO) and on the stratified split."""
import json, math, os, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy.signal import lfilter
from sklearn.metrics import roc_auc_score

torch.set_num_threads(int(os.environ.get('THREADS', '2')))
HERE = os.environ.get('RESEARCH_DIR', os.path.join(os.path.dirname(os.path.abspath(__file__)), '../tmp/research'))
SR = 2000
WIN = 10000

_idx = json.load(open(os.path.join(HERE, 'index.json')))
_sig = np.fromfile(os.path.join(HERE, 'signals.f32'), dtype='<f4')
RECS = []
for r in _idx:
    RECS.append(dict(id=r['id'], subset=r['subset'], y=1 if r['label'] == 'abnormal' else 0,
                     val=r['validation'], x=_sig[r['offset']:r['offset'] + r['length']]))


# ---------------- features -----------------
def hz_to_mel(f):
    f = np.asanyarray(f, dtype=np.float64); f_sp = 200.0 / 3; min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp; logstep = np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, f / f_sp)


def mel_to_hz(m):
    m = np.asanyarray(m, dtype=np.float64); f_sp = 200.0 / 3; min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp; logstep = np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(sr, n_fft, n_mels, fmin, fmax):
    fftfreqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_f); ramps = np.subtract.outer(mel_f, fftfreqs)
    w = np.zeros((n_mels, len(fftfreqs)))
    for i in range(n_mels):
        w[i] = np.maximum(0, np.minimum(-ramps[i] / fdiff[i], ramps[i + 2] / fdiff[i + 1]))
    return w * (2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels]))[:, None]


class Features:
    def __init__(self, n_mels=64, fmin=25, fmax=1000, n_fft=256, win=128, hop=40, norm='window', pcen=None):
        self.n_fft, self.win, self.hop, self.norm, self.pcen = n_fft, win, hop, norm, pcen
        self.fb = torch.tensor(mel_filterbank(SR, n_fft, n_mels, fmin, fmax), dtype=torch.float32)
        n = np.arange(win)
        self.window = torch.tensor(0.5 - 0.5 * np.cos(2 * np.pi * n / win), dtype=torch.float32)
        self.n_mels = n_mels

    def __call__(self, x):  # x: [B, T] float32 tensor -> [B, 1, frames, mels]
        s = torch.stft(x, self.n_fft, hop_length=self.hop, win_length=self.win, window=self.window,
                       center=True, pad_mode='reflect', return_complex=True)
        p = s.real ** 2 + s.imag ** 2  # [B, F, frames]
        energy = torch.einsum('mf,bft->btm', self.fb, p)
        mel = per_channel_energy_norm(energy, **self.pcen) if self.pcen is not None else torch.log(energy + 1e-6)
        if self.norm == 'window':
            mel = mel - mel.mean(dim=1, keepdim=True)
            mel = mel / mel.pow(2).mean(dim=(1, 2), keepdim=True).sqrt().clamp_min(1e-3)
        elif self.norm == 'band':  # per-band mean and per-band std
            mel = mel - mel.mean(dim=1, keepdim=True)
            mel = mel / mel.std(dim=1, keepdim=True).clamp_min(1e-3)
        elif self.norm == 'median':  # per-band median (robust to heart sound bursts)
            mel = mel - mel.median(dim=1, keepdim=True).values
            mel = mel / mel.pow(2).mean(dim=(1, 2), keepdim=True).sqrt().clamp_min(1e-3)
        return mel.unsqueeze(1)


def per_channel_energy_norm(energy, s=0.04, alpha=0.98, delta=2.0, r=0.5, eps=1e-6):
    """PCEN (Wang et al. 2017): each band divided by its own slow-moving average (an automatic gain
    control per band, so a device's fixed colouring cancels out), then root-compressed.
    energy: [B, frames, mels]. The smoother starts at the window's mean energy per band."""
    smooth = energy.mean(dim=1)
    out = torch.empty_like(energy)
    for t in range(energy.shape[1]):
        smooth = (1 - s) * smooth + s * energy[:, t]
        out[:, t] = (energy[:, t] / (eps + smooth) ** alpha + delta) ** r - delta ** r
    return out


# ---------------- augmentation (port of augmentation.ts) -----------------
def crop_and_stretch(sig, length, stretch, rng, with_index=False):
    src_len = max(2, round(length / stretch))
    src = sig if len(sig) >= src_len else np.resize(sig, src_len)
    start = rng.integers(0, len(src) - src_len + 1)
    pos = start + np.arange(length) * ((src_len - 1) / max(1, length - 1))
    left = np.floor(pos).astype(np.int64); frac = pos - left
    right = np.minimum(left + 1, len(src) - 1)
    w = (src[left] * (1 - frac) + src[right] * frac).astype(np.float32)
    # with_index: also the sample of `sig` each output sample comes from (for the phase channels)
    return (w, np.rint(pos).astype(np.int64) % len(sig)) if with_index else w


def biquad(x, kind, f, q, gain_db=0.0):
    w0 = 2 * np.pi * f / SR; alpha = np.sin(w0) / (2 * q); c = np.cos(w0); A = 10 ** (gain_db / 40)
    if kind == 'lowpass':
        b = [(1 - c) / 2, 1 - c, (1 - c) / 2]; a = [1 + alpha, -2 * c, 1 - alpha]
    elif kind == 'highpass':
        b = [(1 + c) / 2, -(1 + c), (1 + c) / 2]; a = [1 + alpha, -2 * c, 1 - alpha]
    else:
        b = [1 + alpha * A, -2 * c, 1 - alpha * A]; a = [1 + alpha / A, -2 * c, 1 - alpha / A]
    return lfilter(b, a, x).astype(np.float32)


DEFAULT_AUG = dict(stretch=0.15, short=0.15, noise=0.5, snr=(10, 35), filt=0.6, fmask=0.5, maxbands=8, extra=False)


def device_augment(w, rng, aug):
    if rng.random() < aug['filt']:
        ch = rng.random()
        if ch < 0.4: w = biquad(w, 'lowpass', rng.uniform(150, 450), rng.uniform(0.5, 1))
        elif ch < 0.7: w = biquad(w, 'highpass', rng.uniform(20, 90), rng.uniform(0.5, 1))
        else: w = biquad(w, 'peaking', rng.uniform(40, 400), rng.uniform(0.5, 2), rng.uniform(-9, 9))
    if rng.random() < aug['noise']:
        p = np.mean(w * w); snr = rng.uniform(*aug['snr'])
        w = w + np.sqrt(p / 10 ** (snr / 10)) * rng.standard_normal(len(w)).astype(np.float32)
    return (w * 10 ** (rng.uniform(-6, 6) / 20)).astype(np.float32)


def augment(sig, rng, aug, with_index=False):
    stretch = 1 + rng.uniform(-aug['stretch'], aug['stretch'])
    if rng.random() < aug['short']:
        clip = min(WIN, round(rng.uniform(2, 4.5) * SR))
        w, index = crop_and_stretch(sig, clip, stretch, rng, True)
        w, index = np.resize(w, WIN), np.resize(index, WIN)
    else:
        w, index = crop_and_stretch(sig, WIN, stretch, rng, True)
    if rng.random() < aug['filt']:
        ch = rng.random()
        if ch < 0.4: w = biquad(w, 'lowpass', rng.uniform(150, 450), rng.uniform(0.5, 1))
        elif ch < 0.7: w = biquad(w, 'highpass', rng.uniform(20, 90), rng.uniform(0.5, 1))
        else: w = biquad(w, 'peaking', rng.uniform(40, 400), rng.uniform(0.5, 2), rng.uniform(-9, 9))
    if aug.get('extra') and rng.random() < 0.5:  # a second, independent EQ stage
        w = biquad(w, 'peaking', rng.uniform(40, 400), rng.uniform(0.5, 2), rng.uniform(-12, 12))
    if aug.get('cnoise'):
        if rng.random() < aug['cnoise'].get('p', 0.7): w = w + coloured_noise(w, rng, aug['cnoise'])
    elif rng.random() < aug['noise']:
        p = np.mean(w * w); snr = rng.uniform(*aug['snr'])
        w = w + np.sqrt(p / 10 ** (snr / 10)) * rng.standard_normal(WIN).astype(np.float32)
    w = (w * 10 ** (rng.uniform(-6, 6) / 20)).astype(np.float32)
    return (w, index) if with_index else w


def coloured_noise(w, rng, cfg):
    """Noise confined to the analysed band (25-400 Hz) with a random spectral slope (1/f^alpha: white
    to brown) and random gains of +-gain_db at four anchor frequencies, at a random in-band SNR
    ("aug": {"cnoise": {...}} replaces the white noise). Within a database the recordings' long-term
    spectral shape tracks the label, in opposite directions on different databases (band_shape.py);
    a noise floor of random shape and level should stop the network from reading either."""
    n = len(w); f = np.fft.rfftfreq(n, 1 / SR)
    band = (f >= 25) & (f <= 400)
    alpha = rng.uniform(*cfg.get('alpha', (0, 3)))
    anchors = np.array([25, 60, 150, 400]); gains = rng.uniform(-1, 1, 4) * cfg.get('gain_db', 10)
    shape_db = -10 * alpha * np.log10(np.maximum(f, 25) / 25) + np.interp(np.log(np.maximum(f, 25)), np.log(anchors), gains)
    spectrum = (rng.standard_normal(len(f)) + 1j * rng.standard_normal(len(f))) * 10 ** (shape_db / 20) * band
    noise = np.fft.irfft(spectrum, n).astype(np.float32)
    snr = rng.uniform(*cfg.get('snr', (3, 30)))
    return noise * np.sqrt(np.mean(w * w) / 10 ** (snr / 10) / max(np.mean(noise * noise), 1e-12))


# ---------------- phase channels (cfg "phase": true) -----------------
# The HSMM's heart-cycle state of every input frame (phase_states.py), given to the network as four
# one-hot channels beside the log-mel, so its filters can tell a sound in systole from one in diastole.
_PHASE = {}
STATE_HOP = 40  # samples per state frame (20 ms)


def phase_states(rec):
    if not _PHASE:
        z = np.load(os.path.join(HERE, 'phase-states.npz'))
        states, offsets = z['states'], z['offsets']
        for i, rid in enumerate(z['ids']): _PHASE[str(rid)] = states[offsets[i]:offsets[i + 1]]
    return _PHASE[rec['id']]


def phase_channels(states, index, feats):
    """[4, frames, mels] one-hot states at each feature frame's centre; index = source sample per
    window sample (-1 = padding, no state)."""
    frames = 1 + len(index) // feats.hop
    centre = index[np.minimum(np.arange(frames) * feats.hop, len(index) - 1)]
    st = np.where(centre >= 0, states[np.minimum(np.maximum(centre, 0) // STATE_HOP, len(states) - 1)], -1)
    onehot = (st[None, :] == np.arange(4)[:, None]).astype(np.float32)  # [4, frames]
    return np.repeat(onehot[:, :, None], feats.n_mels, axis=2)


def heart_sound_norm(m, ph, per_band=False, gaps_only=False, sounds_only=False):
    """Log-mel [B, 1, frames, mels] less each band's mean over the S1 and S2 frames (the heart sounds
    as the recording's own calibration signal: a device's colouring is a per-band offset in the log
    domain, and so is any murmur's loudness against the heart sounds), then divided by the RMS."""
    sounds = (ph[:, 0:1] + ph[:, 2:3])  # [B, 1, frames, mels], 1 on S1/S2 frames
    count = sounds.sum(dim=2, keepdim=True)
    mean_sounds = (m * sounds).sum(dim=2, keepdim=True) / count.clamp_min(1)
    mean_all = m.mean(dim=2, keepdim=True)
    m = m - torch.where(count >= 3, mean_sounds, mean_all)
    # per_band ("band_rms"): each band by its own RMS, so that how far a band's heart sounds stand out
    # of its noise floor (a device's and a room's signature as much as the patient's) is no cue either
    dims = (1, 2) if per_band else (1, 2, 3)
    m = m / m.pow(2).mean(dim=dims, keepdim=True).sqrt().clamp_min(1e-3)
    # gaps_only ("gaps_only"): the S1/S2 frames set to 0 (their mean) after normalising, so the network
    # judges only what lies between the sounds against them, not the sounds' own timbre (a device's)
    # sounds_only ("sounds_only"): the reverse, only the S1/S2 frames kept
    return m * (1 - sounds) if gaps_only else m * sounds if sounds_only else m


def with_phase(m, ph, feats):
    if feats.snorm: m = heart_sound_norm(m, ph, feats.band_rms, feats.gaps_only, feats.sounds_only)
    return torch.cat([m, ph], dim=1) if feats.phase_input else m


def window_index(x, max_seconds=None, short='tile'):
    """Source sample of every sample of recording_windows(x, ...), -1 for zero padding."""
    n = len(x) if not max_seconds else min(len(x), int(max_seconds * SR))
    if n < WIN and short == 'exact': return np.arange(n)[None, :]
    if n < WIN and short == 'zeros': return np.concatenate([np.arange(n), -np.ones(WIN - n, np.int64)])[None, :]
    if n < WIN: return (np.arange(WIN) % n)[None, :]
    return np.stack([np.arange(st, st + WIN) for st in window_starts(n)])


from scipy.signal import butter, sosfilt
_BP_CACHE = {}


def heart_sound_peaks(w, min_gap=0.18):
    b = 40  # 20 ms blocks
    env = np.abs(w[:len(w) // b * b]).reshape(-1, b).mean(1)
    env = np.convolve(env, np.ones(3) / 3, 'same')
    thr = np.percentile(env, 60) + 0.35 * (np.percentile(env, 98) - np.percentile(env, 60))
    peaks = []
    for i in range(1, len(env) - 1):
        if env[i] >= thr and env[i] >= env[i - 1] and env[i] >= env[i + 1]:
            if peaks and (i - peaks[-1]) * b / SR < min_gap:
                if env[i] > env[peaks[-1]]: peaks[-1] = i
            else:
                peaks.append(i)
    return [p * b + b // 2 for p in peaks], env


def add_synthetic_murmur(w, rng):
    """Adds murmur-like band-limited noise between heart sounds: returns None when no usable gap."""
    peaks, env = heart_sound_peaks(w)
    if len(peaks) < 3: return None
    gaps = [(peaks[i], peaks[i + 1]) for i in range(len(peaks) - 1)]
    lens = np.array([(b - a) / SR for a, b in gaps])
    kind = rng.choice(['short', 'long', 'all'], p=[0.6, 0.25, 0.15])
    if kind == 'short': sel = [g for g, l in zip(gaps, lens) if 0.15 <= l <= np.median(lens) + 1e-9]
    elif kind == 'long': sel = [g for g, l in zip(gaps, lens) if l >= np.median(lens)]
    else: sel = [g for g, l in zip(gaps, lens) if 0.15 <= l <= 1.2]
    if not sel: return None
    lo = rng.uniform(60, 250); hi = min(lo + rng.uniform(60, 250), 600)
    key = (round(lo, -1), round(hi, -1))
    if key not in _BP_CACHE: _BP_CACHE[key] = butter(4, [key[0], key[1]], 'bandpass', fs=SR, output='sos')
    noise = sosfilt(_BP_CACHE[key], rng.standard_normal(len(w))).astype(np.float32)
    noise /= max(np.percentile(np.abs(noise), 99), 1e-6)
    shape = rng.choice(['plateau', 'diamond', 'decrescendo'])
    level = rng.uniform(0.08, 0.5)
    out = w.copy()
    for a, b in sel:
        s0 = a + int(0.05 * SR); s1 = b - int(0.05 * SR)
        if s1 - s0 < int(0.05 * SR): continue
        n = s1 - s0; t = np.linspace(0, 1, n)
        e = np.ones(n) if shape == 'plateau' else (1 - np.abs(2 * t - 1)) if shape == 'diamond' else (1 - t)
        ramp = np.minimum(1, np.minimum(t, 1 - t) * n / (0.01 * SR))
        out[s0:s1] += level * (e * ramp).astype(np.float32) * noise[s0:s1]
    return out


def mask_bands(mel, rng, maxbands):  # mel [1, frames, mels] tensor
    n = mel.shape[-1]; width = 1 + rng.integers(0, maxbands); first = rng.integers(0, n - width)
    mel[..., first:first + width] = 0


# ---------------- model -----------------
class MixStyle(nn.Module):
    """MixStyle (Zhou et al. 2021): in training, with probability p per batch, each example's
    statistics (mean and std over `dims`) are replaced by a Beta(alpha, alpha) mix of its own and
    another example's, so that what a device or site imprints on them stops being a cue. dims (2,)
    over time = per frequency band (Freq-MixStyle, Schmid et al. 2022, for unseen devices in DCASE);
    dims (2, 3) = per channel of a feature map."""
    def __init__(self, p=0.5, alpha=0.3, dims=(2, 3)):
        super().__init__(); self.p, self.alpha, self.dims = p, alpha, dims

    def forward(self, x):
        if not self.training or torch.rand(1).item() > self.p: return x
        mu = x.mean(dim=self.dims, keepdim=True); sig = (x.var(dim=self.dims, keepdim=True) + 1e-6).sqrt()
        normed = (x - mu.detach()) / sig.detach()
        lam = torch.distributions.Beta(self.alpha, self.alpha).sample((x.shape[0], 1, 1, 1))
        perm = torch.randperm(x.shape[0])
        return normed * (lam * sig + (1 - lam) * sig[perm]).detach() + (lam * mu + (1 - lam) * mu[perm]).detach()


class InstanceBatchNorm(nn.Module):
    """IBN-a (Pan et al. 2018): half of the channels normalised per instance (a window's own mean and
    spread per channel, which carry its device's imprint), the other half by batch norm, in the early
    blocks only: the instance half removes appearance, the batch half keeps what discriminates."""
    def __init__(self, f):
        super().__init__(); self.half = f // 2
        self.inorm = nn.InstanceNorm2d(self.half, eps=1e-3, affine=True)
        self.bnorm = nn.BatchNorm2d(f - self.half, eps=1e-3, momentum=0.01)

    def forward(self, x):
        return torch.cat([self.inorm(x[:, :self.half]), self.bnorm(x[:, self.half:])], dim=1)


class ResidualFrequencyNorm(nn.Module):
    """Residual normalisation (Kim et al., DCASE 2021, for unseen recording devices): x * lam plus x
    normalised per frequency row over channels and time within each window (instance frequency-wise
    normalisation), so a device's per-band gain is taken out of the feature maps as well as the input."""
    def __init__(self, lam=0.1):
        super().__init__(); self.lam = lam

    def forward(self, x):  # [B, C, frames, mels]
        mu = x.mean(dim=(1, 2), keepdim=True); var = x.var(dim=(1, 2), keepdim=True, unbiased=False)
        return self.lam * x + (x - mu) / (var + 1e-5).sqrt()


class Cnn(nn.Module):
    def __init__(self, blocks=(8, 16, 32, 64, 96), dropout=0.3, in_ch=1, freqmix=None, mixstyle=None, ibn=0, resnorm=None):
        super().__init__()
        layers = [MixStyle(dims=(2,), **freqmix)] if freqmix else []; c = in_ch
        for i, f in enumerate(blocks):
            norm = InstanceBatchNorm(f) if i < ibn else nn.BatchNorm2d(f, eps=1e-3, momentum=0.01)
            layers += [nn.Conv2d(c, f, 3, padding=1, bias=False), norm, nn.ReLU()]
            if resnorm and i < resnorm.get('blocks', 3): layers.append(ResidualFrequencyNorm(resnorm.get('lam', 0.1)))
            if mixstyle and i < 2: layers.append(MixStyle(**mixstyle))
            if i < len(blocks) - 1: layers.append(nn.MaxPool2d(2))
            c = f
        self.body = nn.Sequential(*layers); self.drop = nn.Dropout(dropout); self.fc = nn.Linear(c, 1)

    def embed(self, x):
        return self.body(x).mean(dim=(2, 3))

    def forward(self, x):
        return self.fc(self.drop(self.embed(x))).squeeze(1)


class GradientReversal(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight):
        ctx.weight = weight
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.weight * grad, None


class SubsetAdversary(nn.Module):
    """Domain-adversarial head (Ganin et al. 2016), conditioned on the label: for each label its own
    classifier guesses the recording's database from the pooled CNN features, and the reversed gradient
    pushes the features to hide the database *within* a label, so the disease mix that differs between
    databases is not what gets erased."""
    def __init__(self, width, n_subsets):
        super().__init__()
        self.heads = nn.ModuleList([nn.Sequential(nn.Linear(width, 64), nn.ReLU(), nn.Linear(64, n_subsets)) for _ in (0, 1)])

    def loss(self, h, y, subset, weight):
        h = GradientReversal.apply(h, weight); total = 0.0
        for label in (0, 1):
            m = y == label
            if m.any(): total = total + F.cross_entropy(self.heads[label](h[m]), subset[m]) * m.float().mean()
        return total


# ---------------- data helpers -----------------
def window_starts(n, hop=5000):
    if n <= WIN: return [0]
    starts = list(range(0, n - WIN + 1, hop))
    last_end = starts[-1] + WIN
    if n - last_end >= hop / 2: starts.append(n - WIN)
    return starts


def recording_windows(x, max_seconds=None, short='tile'):
    if max_seconds: x = x[:int(max_seconds * SR)]
    if len(x) < WIN and short == 'exact': return x[None, :]  # the CNN pools globally: any length works
    if len(x) < WIN and short == 'zeros': return np.concatenate([x, np.zeros(WIN - len(x), np.float32)])[None, :]
    if len(x) < WIN: x = np.resize(x, WIN)
    return np.stack([x[s:s + WIN] for s in window_starts(len(x))])


class Sampler:
    """Label-balanced; within a label each (subset,label) cell weighted by size**power."""
    def __init__(self, recs, power=0.5, upweight=None):
        self.pools = {}; upweight = upweight or {}
        for y in (0, 1):
            members = [r for r in recs if r['y'] == y]
            cells = {}
            for r in members: cells[r['subset']] = cells.get(r['subset'], 0) + 1
            w = np.array([cells[r['subset']] ** (power - 1) * upweight.get(r['id'], 1) for r in members])
            self.pools[y] = (members, w / w.sum())

    def next(self, rng):
        members, p = self.pools[int(rng.random() < 0.5)]
        return members[rng.choice(len(members), p=p)]


def stratified_split(recs, frac, seed):
    rng = np.random.default_rng(seed); tr, va = [], []
    groups = {}
    for r in recs: groups.setdefault((r['subset'], r['y']), []).append(r)
    for k in sorted(groups):
        m = list(groups[k]); rng.shuffle(m); h = max(1, round(len(m) * frac))
        va += m[:h]; tr += m[h:]
    return tr, va


def macc_best(y, s):
    y = np.asarray(y); s = np.asarray(s); order = np.argsort(-s)
    pos = y.sum(); neg = len(y) - pos
    tp = np.cumsum(y[order]); fp = np.cumsum(1 - y[order])
    macc = 0.5 * (tp / max(pos, 1) + (neg - fp) / max(neg, 1))
    i = np.argmax(macc)
    return macc[i], s[order][i]


def macc_at(y, s, thr):
    y = np.asarray(y); pred = np.asarray(s) >= thr
    se = (pred & (y == 1)).sum() / max((y == 1).sum(), 1); sp = (~pred & (y == 0)).sum() / max((y == 0).sum(), 1)
    return 0.5 * (se + sp), se, sp


def auc(y, s):
    return roc_auc_score(y, s) if 0 < np.sum(y) < len(y) else float('nan')


@torch.no_grad()
def score(model, feats, recs, max_seconds=None, bs=128, short='tile'):
    model.eval(); out = []
    for r in recs:
        w = recording_windows(r['x'], max_seconds, short)
        if getattr(feats, 'phase', False):
            idx = window_index(r['x'], max_seconds, short); st = phase_states(r)
            ph = torch.from_numpy(np.stack([phase_channels(st, k, feats) for k in idx]))
        logits = []
        for i in range(0, len(w), bs):
            m = feats(torch.from_numpy(w[i:i + bs]))
            if getattr(feats, 'phase', False): m = with_phase(m, ph[i:i + bs], feats)
            logits.append(model(m))
        out.append(torch.cat(logits).mean().item())
    return np.array(out)


@torch.no_grad()
def adapt_bn(model, feats, recs):
    """Re-estimates BatchNorm statistics on a site's windows (no labels, weights untouched)."""
    windows = np.concatenate([recording_windows(r['x']) for r in recs])
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d): m.reset_running_stats(); m.momentum = None  # cumulative average
    model.train()
    for i in range(0, len(windows), 64):
        model.body(feats(torch.from_numpy(windows[i:i + 64])))
    model.eval()


def selection_score(recs, s, mode='mixed'):
    y = np.array([r['y'] for r in recs]); overall = auc(y, s)
    subs = []
    for sub in sorted(set(r['subset'] for r in recs)):
        m = np.array([r['subset'] == sub for r in recs])
        a = auc(y[m], s[m])
        if not math.isnan(a): subs.append(a)
    if mode == 'macro': return np.mean(subs)
    if mode == 'worst': return np.min(subs) + 0.1 * np.mean(subs)
    return (overall + np.mean(subs)) / 2


def group_robust_loss(logits, y, batch, cfg, group_weights):
    """Losses that ask the network to do equally well on every group of the training data instead of
    on average, groups being databases ('subset') or (database, label) cells ('cell'):
    GroupDRO (Sagawa et al. 2020; cfg['dro'] = the step size of the exponentiated-gradient weights,
    kept across batches in group_weights) or V-REx (Krueger et al. 2021; cfg['vrex'] = the weight of
    the variance of the groups' mean losses, added to their mean)."""
    per_window = F.binary_cross_entropy_with_logits(logits, y, reduction='none')
    keys = [(r['subset'], r['y']) if cfg.get('groups', 'cell') == 'cell' else r['subset'] for r in batch]
    groups = sorted(set(keys))
    risks = torch.stack([per_window[[i for i, k in enumerate(keys) if k == g]].mean() for g in groups])
    if cfg.get('dro'):
        for g, risk in zip(groups, risks.detach().tolist()):
            group_weights[g] = group_weights.get(g, 1.0) * math.exp(cfg['dro'] * risk)
        total = sum(group_weights.values())
        for g in group_weights: group_weights[g] /= total
        q = torch.tensor([group_weights[g] for g in groups])
        return (q / q.sum() * risks).sum()
    return risks.mean() + cfg['vrex'] * risks.var(unbiased=False)


def jtt_upweights(train_recs, val_recs, cfg, log):
    """Just Train Twice (Liu et al. 2021): a short first run finds the training recordings it gets
    wrong (at its own MAcc-best threshold on the training records); the real run samples those lam
    times as often ("jtt": {"epochs": 3, "lam": 5}). The hope: the errors are where a database's
    shortcut (recording conditions that track the label inside it) does not hold, so the second run
    leans on what holds everywhere."""
    j = cfg['jtt']
    first, feats = train(train_recs, val_recs, {**cfg, 'jtt': None, 'epochs': j.get('epochs', 3), 'select_from': 1}, log=lambda *a: None)
    s = score(first, feats, train_recs); y = np.array([r['y'] for r in train_recs])
    _, thr = macc_best(y, s); wrong = (s >= thr).astype(int) != y
    print(f'JTT: {wrong.sum()} of {len(y)} training recordings wrong after {j.get("epochs", 3)} epochs', flush=True)
    return {r['id']: j.get('lam', 5) for r, w in zip(train_recs, wrong) if w}


def train(train_recs, val_recs, cfg, log=print):
    rng = np.random.default_rng(cfg.get('seed', 2016)); torch.manual_seed(cfg.get('seed', 2016))
    feats = Features(**cfg.get('features', {}))
    # "phase": states as input channels; "snorm": per-band mean of the heart-sound frames removed
    feats.phase_input, feats.snorm = bool(cfg.get('phase')), bool(cfg.get('snorm'))
    feats.phase = feats.phase_input or feats.snorm
    feats.band_rms, feats.gaps_only, feats.sounds_only = bool(cfg.get('band_rms')), bool(cfg.get('gaps_only')), bool(cfg.get('sounds_only'))
    if feats.snorm: feats.norm = 'none'
    model = cfg.get('model_fn', lambda: Cnn(**{**cfg.get('cnn', {}), **({'in_ch': 5} if feats.phase_input else {})}))()
    opt = torch.optim.Adam(model.parameters(), lr=cfg.get('lr', 2e-3), weight_decay=cfg.get('wd', 0))
    sampler = Sampler(train_recs, cfg.get('power', 0.5), jtt_upweights(train_recs, val_recs, cfg, log) if cfg.get('jtt') else None)
    normals = [r for r in train_recs if r['y'] == 0]
    aug = {**DEFAULT_AUG, **cfg.get('aug', {})}
    subsets = sorted(set(r['subset'] for r in train_recs))
    adversary = SubsetAdversary(model.fc.in_features, len(subsets)) if cfg.get('dann') else None
    if adversary is not None: opt.add_param_group({'params': adversary.parameters()})
    epochs, wpe, bs = cfg.get('epochs', 10), cfg.get('wpe', 1024), cfg.get('bs', 32)
    best = (-1, 0, None); t0 = time.time()
    group_weights = {}; swa_sum = {}; swa_count = 0
    for ep in range(1, epochs + 1):
        lr = 1e-4 + 0.5 * (cfg.get('lr', 2e-3) - 1e-4) * (1 + math.cos(math.pi * (ep - 1) / max(1, epochs - 1)))
        for g in opt.param_groups: g['lr'] = lr
        model.train(); tot = 0
        for b in range(wpe // bs):
            batch = [sampler.next(rng) for _ in range(bs)]
            xs, ys, ds, phs = [], [], [subsets.index(r['subset']) for r in batch], []
            for r in batch:
                if r['y'] == 1 and rng.random() < cfg.get('synth', 0):
                    for _ in range(5):
                        donor = normals[rng.integers(len(normals))]
                        w, index = augment(donor['x'], rng, {**aug, 'filt': 0, 'noise': 0}, with_index=True)
                        m = add_synthetic_murmur(w, rng)
                        if m is not None: break
                    if m is not None:
                        # the donor's heart-cycle states, so that phase channels and snorm see where its sounds are
                        if feats.phase: phs.append(phase_channels(phase_states(donor), index, feats))
                        xs.append(device_augment(m, rng, aug)); ys.append(1); continue
                if feats.phase:
                    w, index = augment(r['x'], rng, aug, with_index=True)
                    xs.append(w); phs.append(phase_channels(phase_states(r), index, feats))
                else:
                    xs.append(augment(r['x'], rng, aug))
                ys.append(r['y'])
            x = torch.from_numpy(np.stack(xs))
            y = torch.tensor(ys, dtype=torch.float32)
            with torch.no_grad():
                m = feats(x)
                ph = torch.from_numpy(np.stack(phs)) if feats.phase else None
                if feats.snorm: m = heart_sound_norm(m, ph, feats.band_rms, feats.gaps_only, feats.sounds_only)
                for i in range(bs):
                    if rng.random() < aug['fmask']: mask_bands(m[i], rng, aug['maxbands'])
                if feats.phase_input: m = torch.cat([m, ph], dim=1)
            if cfg.get('mixup'):
                # mixup (Zhang et al. 2018) across the batch, which mixes databases as well as labels
                lam = torch.tensor(rng.beta(cfg['mixup'], cfg['mixup'], size=bs), dtype=torch.float32)
                perm = torch.from_numpy(rng.permutation(bs))
                m = lam[:, None, None, None] * m + (1 - lam[:, None, None, None]) * m[perm]
                y = lam * y + (1 - lam) * y[perm]
            if cfg.get('dro') or cfg.get('vrex'):
                loss = group_robust_loss(model(m), y, batch, cfg, group_weights)
            elif adversary is None:
                loss = F.binary_cross_entropy_with_logits(model(m), y)
            else:
                h = model.embed(m)
                progress = ((ep - 1) * (wpe // bs) + b) / (epochs * (wpe // bs))
                weight = cfg['dann'] * (2 / (1 + math.exp(-10 * progress)) - 1)
                loss = F.binary_cross_entropy_with_logits(model.fc(model.drop(h)).squeeze(1), y)
                loss = loss + adversary.loss(h, y.long(), torch.tensor(ds), weight)
            opt.zero_grad(); loss.backward(); opt.step(); tot += loss.item()
        if cfg.get('swa') and ep >= cfg['swa']:
            swa_count += 1
            for k, v in model.state_dict().items():
                if v.is_floating_point(): swa_sum[k] = swa_sum.get(k, 0) + v.detach().clone()
        if ep < cfg.get('select_from', 4): continue
        s = score(model, feats, val_recs, max_seconds=cfg.get('val_seconds', 20))
        sel = selection_score(val_recs, s, cfg.get('select', 'mixed'))
        y = [r['y'] for r in val_recs]
        if sel > best[0]: best = (sel, ep, {k: v.clone() for k, v in model.state_dict().items()})
        log(f'  ep {ep} loss {tot / (wpe // bs):.4f} valAUC {auc(y, s):.4f} sel {sel:.4f} ({time.time() - t0:.0f}s)')
    if cfg.get('swa'):
        # Stochastic weight averaging (Izmailov et al. 2018; for unseen domains, SWAD, Cha et al. 2021):
        # the mean of the weights after every epoch from cfg['swa'] on instead of the best epoch's, then
        # batch-norm statistics measured again on unaugmented windows of training records.
        state = model.state_dict()
        model.load_state_dict({k: (swa_sum[k] / swa_count if k in swa_sum else v) for k, v in state.items()})
        pick = np.random.default_rng(0).permutation(len(train_recs))[:300]
        adapt_bn(model, feats, [train_recs[i] for i in pick])
        return model, feats
    model.load_state_dict(best[2])
    return model, feats


def report(name, recs, s, thr=None):
    y = np.array([r['y'] for r in recs]); a = auc(y, s); mb, _ = macc_best(y, s)
    line = f'{name}: n={len(recs)} AUC {a:.3f} bestMAcc {mb:.3f}'
    if thr is not None:
        m, se, sp = macc_at(y, s, thr); line += f' MAcc@thr {m:.3f} (se {se:.2f} sp {sp:.2f})'
    return line, a


def run(cfg, folds=('training-a', 'training-b', 'training-d', 'training-e'), indist=True, log=print):
    results = {}
    if indist:
        tr = [r for r in RECS if not r['val']]; va = [r for r in RECS if r['val']]
        model, feats = train(tr, va, cfg, log=lambda *a: None)
        s = score(model, feats, va)
        y = np.array([r['y'] for r in va]); _, thr = macc_best(y, s)
        if cfg.get('name'):
            np.savez(os.path.join(HERE, f"scores-{cfg['name']}-indist.npz"), val_s=s, val_y=y, val_sub=[r['subset'] for r in va])
        line, a = report('indist', va, s); log(line); results['indist'] = a
        for sub in sorted(set(r['subset'] for r in va)):
            m = np.array([r['subset'] == sub for r in va])
            log('   ' + report(sub, [r for r, k in zip(va, m) if k], s[m], thr)[0])
        for sec in (2, 3, 4):
            for short in ('tile', 'exact', 'zeros'):
                log('   ' + report(f'first{sec}s-{short}', va, score(model, feats, va, max_seconds=sec, short=short))[0])
        if cfg.get('name'): torch.save(model.state_dict(), os.path.join(HERE, f"model-{cfg['name']}-indist.pt"))
    for held in folds:
        dev = [r for r in RECS if r['subset'] != held]; test = [r for r in RECS if r['subset'] == held]
        tr, va = stratified_split(dev, 0.2, cfg.get('seed', 2016))
        model, feats = train(tr, va, cfg, log=lambda *a: None)
        sv = score(model, feats, va); _, thr = macc_best([r['y'] for r in va], sv)
        st = score(model, feats, test)
        if cfg.get('name'):
            np.savez(os.path.join(HERE, f"scores-{cfg['name']}-{held}.npz"), val_s=sv, val_y=[r['y'] for r in va], val_sub=[r['subset'] for r in va], test_s=st, test_y=[r['y'] for r in test])
        line, a = report('LOSO ' + held, test, st, thr); log(line); results[held] = a
        if cfg.get('adabn', True):
            rng = np.random.default_rng(7); idx = rng.permutation(len(test)); calib = [test[i] for i in idx[:30]]; rest = [test[i] for i in idx[30:]]
            before = score(model, feats, rest)
            adapt_bn(model, feats, calib)
            after = score(model, feats, rest)
            y = [r['y'] for r in rest]
            log(f'   AdaBN on 30 records: rest AUC {auc(y, before):.3f} -> {auc(y, after):.3f}, bestMAcc {macc_best(y, before)[0]:.3f} -> {macc_best(y, after)[0]:.3f}')
    log('SUMMARY ' + json.dumps({k: round(v, 3) for k, v in results.items()}))
    return results


if __name__ == '__main__':
    cfg = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    print('config', cfg, flush=True)
    WIN = int(cfg.get('win_seconds', 5) * SR)  # window length of training crops and of scoring
    run(cfg, folds=tuple(cfg.get('folds', ('training-a', 'training-b', 'training-d', 'training-e'))),
        indist=cfg.get('indist', True), log=lambda s: print(s, flush=True))
