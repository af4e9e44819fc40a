"""Heart-cycle-aligned network input (research, not product code). Each heart cycle found by the
envelope peak picker of cycle_feats.py is cut into systole (S1 -> S2) and diastole (S2 -> next S1),
each resampled to a fixed number of log-mel frames, so that a systolic murmur lands in the same
columns whatever the heart rate. A recording is the median of its cycles; a small CNN that keeps
the time axis (where in the cycle) but pools frequency is judged by leave-one-subset-out, alone and
rank-averaged with a window CNN run of harness.py (its saved fold scores).

  /usr/bin/python3 research/cycle_cnn.py '{"seed": 11, "name": "cyc-s11", "with": "base-s11"}'
"""
import json, os, sys, time
import numpy as np
import torch
import torch.nn as nn
from scipy.stats import rankdata
from harness import HERE, RECS, SR, Sampler, auc, macc_best, mel_filterbank, stratified_split
from cycle_feats import BLOCK, envelope, peaks_of
import segment_hsmm

torch.set_num_threads(int(os.environ.get('THREADS', '1')))
HOP = 20  # 10 ms
N_FFT, WIN_LEN, N_MELS = 256, 128, 32
SYS_FRAMES, DIA_FRAMES = 24, 40
LEAD = int(0.05 * SR)  # start each segment 50 ms before the sound's envelope peak
FB = mel_filterbank(SR, N_FFT, N_MELS, 25, 400).astype(np.float32)
WINDOW = np.hanning(WIN_LEN).astype(np.float32)


def log_mel(x):
    n = 1 + (len(x) - WIN_LEN) // HOP
    if n < 1: return np.zeros((0, N_MELS), np.float32)
    idx = np.arange(WIN_LEN)[None, :] + HOP * np.arange(n)[:, None]
    spec = np.abs(np.fft.rfft(x[idx] * WINDOW, n=N_FFT)) ** 2
    return np.log(spec.astype(np.float32) @ FB.T + 1e-6)


def resample_frames(m, frames):
    src = np.linspace(0, len(m) - 1, frames)
    lo = np.floor(src).astype(int); hi = np.minimum(lo + 1, len(m) - 1); w = (src - lo)[:, None]
    return (1 - w) * m[lo] + w * m[hi]


def cycle_images(x):
    """[cycles, SYS_FRAMES + DIA_FRAMES, N_MELS] for the recording's valid cycles (may be empty)."""
    p = peaks_of(envelope(x))
    if len(p) < 4: return np.zeros((0, SYS_FRAMES + DIA_FRAMES, N_MELS), np.float32)
    gaps = np.diff(p)
    first_s1 = 0 if gaps[0::2].mean() < gaps[1::2].mean() else 1
    mel = log_mel(x); out = []
    to_frame = lambda sample: int(round((sample - LEAD) / HOP))
    for i in range(first_s1, len(p) - 2, 2):
        s1, s2, nxt = (p[j] * BLOCK + BLOCK // 2 for j in (i, i + 1, i + 2))
        if not (0.15 * SR < s2 - s1 < 0.6 * SR and s2 - s1 < nxt - s2 + 0.1 * SR and nxt - s1 < 2.0 * SR): continue
        a, b, c = to_frame(s1), to_frame(s2), to_frame(nxt)
        if a < 0 or c > len(mel) or b - a < 4 or c - b < 4: continue
        out.append(np.concatenate([resample_frames(mel[a:b], SYS_FRAMES), resample_frames(mel[b:c], DIA_FRAMES)]))
    return np.array(out, np.float32).reshape(-1, SYS_FRAMES + DIA_FRAMES, N_MELS)


def cycle_images_hsmm(x):
    """The same images from the HSMM segmentation (segment_hsmm.py): each S1 start -> S2 start ->
    next S1 start, with no peak picking."""
    mel = log_mel(x); out = []
    to_frame = lambda sample: int(round(sample / HOP))
    for s1, s2, nxt in segment_hsmm.cycles(segment_hsmm.segment(x)):
        a, b, c = to_frame(s1), to_frame(s2), to_frame(nxt)
        if c > len(mel) or b - a < 4 or c - b < 4: continue
        out.append(np.concatenate([resample_frames(mel[a:b], SYS_FRAMES), resample_frames(mel[b:c], DIA_FRAMES)]))
    return np.array(out, np.float32).reshape(-1, SYS_FRAMES + DIA_FRAMES, N_MELS)


def normalise(img):
    img = img - img.mean(axis=0, keepdims=True)
    return img / max(float(np.sqrt((img ** 2).mean())), 1e-3)


class CycleCnn(nn.Module):
    def __init__(self):
        super().__init__()
        block = lambda i, o: [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o, eps=1e-3, momentum=0.01), nn.ReLU()]
        self.body = nn.Sequential(*block(1, 16), nn.MaxPool2d(2), *block(16, 32), nn.MaxPool2d(2), *block(32, 48))
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Linear(48 * (SYS_FRAMES + DIA_FRAMES) // 4, 1)

    def forward(self, x):  # [B, T, F]
        h = self.body(x[:, None]).mean(dim=3)  # pool frequency, keep where in the cycle
        return self.fc(self.drop(h.flatten(1))).squeeze(1)


def sample_image(cycles, rng):
    k = min(len(cycles), int(rng.integers(1, 7)))
    pick = cycles[rng.choice(len(cycles), size=k, replace=False)]
    img = np.median(pick, axis=0)
    if rng.random() < 0.5:  # a band or two missing, as on a narrower stethoscope
        lo = int(rng.integers(0, N_MELS - 4)); img = img.copy(); img[:, lo:lo + int(rng.integers(1, 4))] = img.mean()
    return normalise(img)


def score(model, cyc, recs):
    model.eval(); out = np.zeros(len(recs), np.float32)
    have = [i for i, r in enumerate(recs) if len(cyc[r['id']])]
    with torch.no_grad():
        for s in range(0, len(have), 256):
            chunk = have[s:s + 256]
            xb = torch.tensor(np.stack([normalise(np.median(cyc[recs[i]['id']], axis=0)) for i in chunk]))
            out[chunk] = model(xb).numpy()
    return out  # recordings without a usable cycle keep 0 (undecided)


def train(tr, va, cyc, seed, epochs=20, per_epoch=2048, bs=64, log=print):
    rng = np.random.default_rng(seed); torch.manual_seed(seed)
    usable = [r for r in tr if len(cyc[r['id']])]
    sampler = Sampler(usable, 0.5); model = CycleCnn()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    best, best_state = -1.0, None
    for ep in range(epochs):
        model.train()
        for _ in range(per_epoch // bs):
            recs = [sampler.next(rng) for _ in range(bs)]
            xb = torch.tensor(np.stack([sample_image(cyc[r['id']], rng) for r in recs]))
            yb = torch.tensor([float(r['y']) for r in recs])
            loss = nn.functional.binary_cross_entropy_with_logits(model(xb), yb)
            opt.zero_grad(); loss.backward(); opt.step()
        a = auc([r['y'] for r in va], score(model, cyc, va))
        if a > best: best, best_state = a, {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    return model, best


def rank_average(a, b):
    return (rankdata(a) + rankdata(b)) / (2 * len(a))


def main(cfg):
    hsmm = cfg.get('seg') == 'hsmm'
    cache = os.path.join(HERE, 'cycle-images-hsmm.npz' if hsmm else 'cycle-images.npz')
    if os.path.exists(cache):
        data = np.load(cache); cyc = {r['id']: data[r['id']] for r in RECS}
    else:
        t = time.time(); cyc = {r['id']: (cycle_images_hsmm if hsmm else cycle_images)(r['x']) for r in RECS}
        np.savez(cache, **cyc); print(f'cycle images in {time.time() - t:.0f} s', flush=True)
    none = sum(1 for r in RECS if len(cyc[r['id']]) == 0)
    print(f'recordings without a usable cycle: {none} of {len(RECS)}; median cycles {np.median([len(v) for v in cyc.values()]):.0f}', flush=True)
    seed, other = cfg.get('seed', 11), cfg.get('with')
    results = {}
    tr = [r for r in RECS if not r['val']]; va = [r for r in RECS if r['val']]
    model, _ = train(tr, va, cyc, seed, epochs=cfg.get('epochs', 20))
    s = score(model, cyc, va); y = [r['y'] for r in va]
    results['indist'] = auc(y, s)
    line = f"indist AUC {results['indist']:.3f} bestMAcc {macc_best(y, s)[0]:.3f}"
    if other and os.path.exists(os.path.join(HERE, f'scores-{other}-indist.npz')):
        o = np.load(os.path.join(HERE, f'scores-{other}-indist.npz'))
        results['indist+'] = auc(y, rank_average(s, o['val_s'])); line += f" | with {other}: {results['indist+']:.3f} ({auc(y, o['val_s']):.3f} alone)"
    print(line, flush=True)
    for held in cfg.get('folds', ('training-a', 'training-b', 'training-d', 'training-e')):
        dev = [r for r in RECS if r['subset'] != held]; test = [r for r in RECS if r['subset'] == held]
        ftr, fva = stratified_split(dev, 0.2, seed)
        model, val_auc = train(ftr, fva, cyc, seed, epochs=cfg.get('epochs', 20))
        st = score(model, cyc, test); yt = [r['y'] for r in test]
        results[held] = auc(yt, st)
        line = f'LOSO {held}: AUC {results[held]:.3f} (fold validation {val_auc:.3f})'
        path = os.path.join(HERE, f'scores-{other}-{held}.npz') if other else ''
        if other and os.path.exists(path):
            o = np.load(path)
            results[held + '+'] = auc(yt, rank_average(st, o['test_s']))
            line += f" | with {other}: {results[held + '+']:.3f} ({auc(yt, o['test_s']):.3f} alone)"
        print(line, flush=True)
        if cfg.get('name'): np.savez(os.path.join(HERE, f"scores-{cfg['name']}-{held}.npz"), test_s=st, test_y=yt)
    print('SUMMARY ' + json.dumps({k: round(v, 3) for k, v in results.items()}), flush=True)


if __name__ == '__main__':
    main(json.loads(sys.argv[1]) if len(sys.argv) > 1 else {})
