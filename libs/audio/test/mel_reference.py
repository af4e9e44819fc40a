#!/usr/bin/env python3
"""Independent numpy reference for the log-mel contract (docs/CONTRACTS.md).

Re-implements librosa.filters.mel(htk=False, norm='slaney') and librosa.stft(center=True,
pad_mode='reflect', window='hann', win_length < n_fft) from librosa's published formulas, so the
TypeScript implementation can be checked without installing librosa.

  mel_reference.py filterbank SR N_FFT N_MELS FMIN FMAX          -> JSON [n_mels][n_fft/2+1] on stdout
  mel_reference.py logmel IN.f32 OUT.f32 SR N_FFT WIN HOP N_MELS FMIN FMAX
"""
import json
import sys

import numpy as np


def hz_to_mel(f):
    f = np.asanyarray(f, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, mels)


def mel_to_hz(m):
    m = np.asanyarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    freqs = f_sp * m
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), freqs)


def mel_filterbank(sr, n_fft, n_mels, fmin, fmax):
    fftfreqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    weights = np.zeros((n_mels, len(fftfreqs)))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels])
    return weights * enorm[:, np.newaxis]


def log_mel(signal, sr, n_fft, win, hop, n_mels, fmin, fmax):
    n = np.arange(win)
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * n / win)  # periodic, as scipy.signal.get_window('hann')
    window = np.zeros(n_fft)
    left = (n_fft - win) // 2
    window[left : left + win] = hann
    padded = np.pad(signal.astype(np.float64), n_fft // 2, mode="reflect")
    frames = 1 + len(signal) // hop
    stack = np.stack([padded[t * hop : t * hop + n_fft] * window for t in range(frames)])
    power = np.abs(np.fft.rfft(stack, axis=1)) ** 2
    mel = power @ mel_filterbank(sr, n_fft, n_mels, fmin, fmax).T
    return np.log(mel + 1e-6)  # frames x n_mels, frame-major like the contract


def main(argv):
    if argv[1] == "filterbank":
        sr, n_fft, n_mels = float(argv[2]), int(argv[3]), int(argv[4])
        fmin, fmax = float(argv[5]), float(argv[6])
        json.dump(mel_filterbank(sr, n_fft, n_mels, fmin, fmax).tolist(), sys.stdout)
    elif argv[1] == "logmel":
        signal = np.fromfile(argv[2], dtype="<f4")
        sr, n_fft, win, hop, n_mels = float(argv[4]), int(argv[5]), int(argv[6]), int(argv[7]), int(argv[8])
        result = log_mel(signal, sr, n_fft, win, hop, n_mels, float(argv[9]), float(argv[10]))
        result.astype("<f4").tofile(argv[3])
    else:
        raise SystemExit("usage: mel_reference.py filterbank|logmel ...")


if __name__ == "__main__":
    main(sys.argv)
