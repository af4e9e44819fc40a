// The feature path's hot loops in WebAssembly: mel power spectrogram frames (window, FFT, power, mel
// bands) with 128-bit SIMD, float64 throughout: each complex value is one f64x2 vector; and the heart-
// sound segmentation's duration-aware Viterbi (hsmm_decode), whose data-dependent maximum compiles to
// selects here instead of mispredicted branches. Two real frames go through one complex
// FFT (real part the first, imaginary part the second) as in log-mel.ts. The caller (dsp-kernels.ts)
// lays out the tables and the signal in this module's memory. Rebuild with build.sh (clang 14+).
#include <wasm_simd128.h>

#define MAX_FFT 4096
static v128_t frame[MAX_FFT];
static double powerA[MAX_FFT / 2 + 1];
static double powerB[MAX_FFT / 2 + 1];

static inline v128_t splat(double x) { return wasm_f64x2_splat(x); }
static inline v128_t swap(v128_t v) { return wasm_i64x2_shuffle(v, v, 1, 0); }

/* y * (c - i s), with cc = (c, c) and ss = (s, -s): (yr c + yi s, yi c - yr s). */
static inline v128_t twiddle(v128_t y, v128_t cc, v128_t ss) {
  return wasm_f64x2_add(wasm_f64x2_mul(y, cc), wasm_f64x2_mul(swap(y), ss));
}

/*
 * In-place radix-4 decimation-in-frequency FFT of frame[0 .. n), n a power of 4; outputs in base-4
 * digit-reversed order. twiddles: per stage (block length n, n/4, ..., 16), per butterfly i < length/4,
 * the pairs (cc, ss) of W^i, W^2i, W^3i: 6 vectors.
 */
static void fft_radix4(int n, const v128_t* twiddles) {
  const v128_t flip = wasm_f64x2_make(1.0, -1.0);
  for (int length = n; length > 4; length >>= 2) {
    const int span = length >> 2;
    for (int base = 0; base < n; base += length) {
      const v128_t* w = twiddles;
      for (int i = 0; i < span; i++, w += 6) {
        v128_t* p = frame + base + i;
        const v128_t x0 = p[0], x1 = p[span], x2 = p[2 * span], x3 = p[3 * span];
        const v128_t t0 = wasm_f64x2_add(x0, x2), t1 = wasm_f64x2_sub(x0, x2);
        const v128_t t2 = wasm_f64x2_add(x1, x3), t3 = wasm_f64x2_sub(x1, x3);
        const v128_t m = wasm_f64x2_mul(swap(t3), flip); /* -i t3 */
        p[0] = wasm_f64x2_add(t0, t2);
        p[span] = twiddle(wasm_f64x2_add(t1, m), w[0], w[1]);
        p[2 * span] = twiddle(wasm_f64x2_sub(t0, t2), w[2], w[3]);
        p[3 * span] = twiddle(wasm_f64x2_sub(t1, m), w[4], w[5]);
      }
    }
    twiddles += 6 * span;
  }
  for (int base = 0; base < n; base += 4) {
    v128_t* p = frame + base;
    const v128_t x0 = p[0], x1 = p[1], x2 = p[2], x3 = p[3];
    const v128_t t0 = wasm_f64x2_add(x0, x2), t1 = wasm_f64x2_sub(x0, x2);
    const v128_t t2 = wasm_f64x2_add(x1, x3), t3 = wasm_f64x2_sub(x1, x3);
    const v128_t m = wasm_f64x2_mul(swap(t3), flip);
    p[0] = wasm_f64x2_add(t0, t2);
    p[1] = wasm_f64x2_add(t1, m);
    p[2] = wasm_f64x2_sub(t0, t2);
    p[3] = wasm_f64x2_sub(t1, m);
  }
}

/*
 * frames frames of `source` (float32): frame t's window starts at source[first + t * hop] and has
 * winLength samples, weighted by window[]; its power spectrum bins [lowBin, highBin) go through the
 * sparse mel bands (band m: weights[offset[m] .. offset[m + 1]) from bin firstBin[m]); out[t * nMels + m]
 * = mel power + logOffset. at[k] and mirror[k]: where bins k and n - k lie in the FFT's output.
 */
__attribute__((export_name("mel_power"))) void mel_power(
    const float* source, int frames, int first, int hop, int winLength, const double* window, int n,
    const v128_t* twiddles, const int* at, const int* mirror, int lowBin, int highBin, int nMels,
    const int* firstBin, const int* offset, const double* weights, double logOffset, double* out) {
  for (int t = 0; t < frames; t += 2) {
    const float* a = source + first + t * hop;
    const float* b = t + 1 < frames ? a + hop : a; /* an odd last frame is paired with itself */
    for (int i = 0; i < winLength; i++)
      frame[i] = wasm_f64x2_mul(wasm_f64x2_make((double)a[i], (double)b[i]), splat(window[i]));
    for (int i = winLength; i < n; i++) frame[i] = wasm_f64x2_splat(0.0);
    fft_radix4(n, twiddles);
    for (int k = lowBin; k < highBin; k++) {
      /* A[k] = (Z[k] + conj Z[n-k]) / 2, B[k] = (Z[k] - conj Z[n-k]) / 2i */
      const v128_t z = frame[at[k]], w = frame[mirror[k]];
      const double zr = wasm_f64x2_extract_lane(z, 0), zi = wasm_f64x2_extract_lane(z, 1);
      const double wr = wasm_f64x2_extract_lane(w, 0), wi = wasm_f64x2_extract_lane(w, 1);
      const double ar = zr + wr, ai = zi - wi, br = zi + wi, bi = wr - zr;
      powerA[k] = 0.25 * (ar * ar + ai * ai);
      powerB[k] = 0.25 * (br * br + bi * bi);
    }
    double* rowA = out + t * nMels;
    double* rowB = rowA + nMels;
    const int second = t + 1 < frames;
    for (int m = 0; m < nMels; m++) {
      const int end = offset[m + 1];
      double sumA = 0, sumB = 0;
      for (int j = offset[m], k = firstBin[m]; j < end; j++, k++) {
        sumA += weights[j] * powerA[k];
        sumB += weights[j] * powerB[k];
      }
      rowA[m] = sumA + logOffset;
      if (second) rowB[m] = sumB + logOffset;
    }
  }
}

/*
 * decodeStates' forward pass (heart-sound-segmentation.ts), same arithmetic and ties: for every frame t
 * and state j, the best score of a segment of state j ending at t (best) and its duration (duration).
 * emission[t * 4 + j]; logProbability[j * span + d]; cumulative, best: (frames + 1) * 4 doubles.
 */
__attribute__((export_name("hsmm_decode"))) void hsmm_decode(
    const double* emission, int frames, const int* shortest, const int* longest,
    const double* logProbability, int span, double firstSegment, double* cumulative, double* best,
    int* duration) {
  const double minusInfinity = -__builtin_inf();
  for (int j = 0; j < 4; j++) cumulative[j] = 0;
  for (int t = 0; t < frames; t++)
    for (int j = 0; j < 4; j++) cumulative[(t + 1) * 4 + j] = cumulative[t * 4 + j] + emission[t * 4 + j];
  for (int i = 0; i < (frames + 1) * 4; i++) {
    best[i] = minusInfinity;
    duration[i] = 0;
  }
  for (int t = 1; t <= frames; t++) {
    const int last = t == frames;
    for (int j = 0; j < 4; j++) {
      const int previous = (j + 3) % 4;
      const int longestHere = longest[j] < t ? longest[j] : t;
      const double* durationLog = logProbability + j * span;
      const double here = cumulative[t * 4 + j];
      double top = minusInfinity;
      int topDuration = 0;
      const int shortestHere = last ? 1 : shortest[j];
      if (t < shortestHere && t <= longestHere) {
        top = firstSegment + here - cumulative[j];
        topDuration = t;
      }
      for (int d = shortestHere; d <= longestHere; d++) {
        const int start = t - d;
        const double fromPrevious =
            last ? best[start * 4 + previous] : best[start * 4 + previous] + durationLog[d];
        const double entry =
            start == 0 ? (fromPrevious > firstSegment ? fromPrevious : firstSegment) : fromPrevious;
        const double total = entry + here - cumulative[start * 4 + j];
        if (total > top) {
          top = total;
          topDuration = d;
        }
      }
      best[t * 4 + j] = top;
      duration[t * 4 + j] = topDuration;
    }
  }
}
