// condition.ts's conditionSignal at the model rate in WebAssembly: the same arithmetic in the same order,
// so the same float32 values, without the JavaScript's bounds checks, and the amplitude reference found
// by the top bits of the magnitudes instead of a quickselect over all of them. Its own file because
// clang 14's SLP vectorizer miscompiles the five-section sweep for WebAssembly SIMD (wrong values from
// the third sample on): build.sh compiles it with -fno-slp-vectorize and links it with dsp-kernels.c.
#include <stdint.h>

/* A unit-numerator biquad (butterworth.ts): y = x + z1, z1' = b1 x - a1 y + z2, z2' = x - a2 y. */
typedef struct {
  double b1, a1, a2;
} UnitSection;

/* butterworth.ts's settled(): the section in its steady state at `level`, run on that first sample. */
static inline double settle(const UnitSection* s, double level, double* z1, double* z2) {
  const double gain = (2 + s->b1) / (1 + s->a1 + s->a2);
  *z1 = (gain - 1) * level;
  *z2 = (1 - s->a2 * gain) * level;
  const double y = level + *z1;
  *z1 = s->b1 * level - s->a1 * y + *z2;
  *z2 = level - s->a2 * y;
  return y;
}

/* runUnitFive: five sections in one sweep over signal[0 .. length), forward (step 1) or backward (-1). */
static void run_five_sections(const UnitSection* sections, double* signal, int length, int step) {
  const int first = step == 1 ? 0 : length - 1;
  double z[10];
  double level = signal[first];
  for (int k = 0; k < 5; k++) level = settle(&sections[k], level, &z[2 * k], &z[2 * k + 1]);
  signal[first] = level;
  const double pb1 = sections[0].b1, pa1 = sections[0].a1, pa2 = sections[0].a2;
  const double qb1 = sections[1].b1, qa1 = sections[1].a1, qa2 = sections[1].a2;
  const double rb1 = sections[2].b1, ra1 = sections[2].a1, ra2 = sections[2].a2;
  const double sb1 = sections[3].b1, sa1 = sections[3].a1, sa2 = sections[3].a2;
  const double tb1 = sections[4].b1, ta1 = sections[4].a1, ta2 = sections[4].a2;
  double pz1 = z[0], pz2 = z[1], qz1 = z[2], qz2 = z[3], rz1 = z[4], rz2 = z[5], sz1 = z[6], sz2 = z[7],
         tz1 = z[8], tz2 = z[9];
  double* at = signal + first + step;
  for (int n = 1; n < length; n++, at += step) {
    const double x = *at;
    const double u = x + pz1;
    pz1 = pb1 * x - pa1 * u + pz2;
    pz2 = x - pa2 * u;
    const double v = u + qz1;
    qz1 = qb1 * u - qa1 * v + qz2;
    qz2 = u - qa2 * v;
    const double w = v + rz1;
    rz1 = rb1 * v - ra1 * w + rz2;
    rz2 = v - ra2 * w;
    const double y = w + sz1;
    sz1 = sb1 * w - sa1 * y + sz2;
    sz2 = w - sa2 * y;
    const double out = y + tz1;
    tz1 = tb1 * y - ta1 * out + tz2;
    tz2 = y - ta2 * out;
    *at = out;
  }
}

/* The k-th smallest of count non-negative floats given as their bit patterns (which sort like the values). */
static uint32_t select_kth_bits(uint32_t* values, int count, int k) {
  int left = 0, right = count - 1;
  while (left < right) {
    const uint32_t pivot = values[(left + right) >> 1];
    int i = left, j = right;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const uint32_t swap = values[i];
        values[i++] = values[j];
        values[j--] = swap;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return values[k];
  }
  return values[k];
}

#define QUANTILE_BINS 1024
static uint32_t bin_counts[4][QUANTILE_BINS];

/*
 * condition.ts's conditionSignal at 2 kHz, same arithmetic in the same order: DC removal and odd
 * reflection by `pad` samples into extended[0 .. n + 2 pad), the five-section band-pass forward and
 * backward, the k-th smallest |x| (found by the top bits of the magnitudes, then among the few in that
 * bin: the same value quickselect finds), scaling to it and clipping at +-clip, into out[0 .. n).
 * magnitudes: n words of scratch. Returns 0; 1 when a sample is not finite (the caller's own path then
 * decides, as before).
 */
__attribute__((export_name("condition_signal"))) int condition_signal(
    const float* samples, int n, int pad, const UnitSection* sections, double gain, int k, double clip,
    double* extended, uint32_t* magnitudes, float* out) {
  double sum = 0;
  for (int i = 0; i < n; i++) sum += samples[i];
  const double offset = sum / n;
  const double first = samples[0] - offset;
  const double last = samples[n - 1] - offset;
  for (int i = 0; i < pad; i++) extended[i] = 2 * first - (samples[pad - i] - offset);
  for (int i = 0; i < n; i++) extended[pad + i] = samples[i] - offset;
  for (int i = 0; i < pad; i++) extended[pad + n + i] = 2 * last - (samples[n - 2 - i] - offset);
  run_five_sections(sections, extended, n + 2 * pad, 1);
  run_five_sections(sections, extended, n + 2 * pad, -1);

  const double* filtered = extended + pad;
  for (int b = 0; b < 4; b++)
    for (int i = 0; i < QUANTILE_BINS; i++) bin_counts[b][i] = 0;
  uint32_t not_finite = 0;
  int i = 0;
  /* Four histograms in turn: neighbouring samples often share a bin, and one counter would serialise. */
  for (; i + 4 <= n; i += 4)
    for (int b = 0; b < 4; b++) {
      const float magnitude = (float)__builtin_fabs(filtered[i + b] * gain);
      uint32_t bits;
      __builtin_memcpy(&bits, &magnitude, 4);
      not_finite |= bits >= 0x7f800000;
      magnitudes[i + b] = bits;
      bin_counts[b][bits >> 22]++;
    }
  for (; i < n; i++) {
    const float magnitude = (float)__builtin_fabs(filtered[i] * gain);
    uint32_t bits;
    __builtin_memcpy(&bits, &magnitude, 4);
    not_finite |= bits >= 0x7f800000;
    magnitudes[i] = bits;
    bin_counts[0][bits >> 22]++;
  }
  if (not_finite) return 1;
  int bin = 0, below = 0;
  for (;; bin++) {
    const int here = bin_counts[0][bin] + bin_counts[1][bin] + bin_counts[2][bin] + bin_counts[3][bin];
    if (below + here > k) break;
    below += here;
  }
  int candidates = 0;
  for (int j = 0; j < n; j++) {
    const uint32_t bits = magnitudes[j];
    magnitudes[candidates] = bits;
    candidates += (bits >> 22) == (uint32_t)bin;
  }
  const uint32_t reference_bits = select_kth_bits(magnitudes, candidates, k - below);
  float reference;
  __builtin_memcpy(&reference, &reference_bits, 4);
  if (!(reference > 0)) {
    for (int j = 0; j < n; j++) out[j] = 0;
    return 0;
  }
  const double scale = 1 / (double)reference;
  for (int j = 0; j < n; j++) {
    const double value = filtered[j] * gain * scale;
    out[j] = (float)(value > clip ? clip : value < -clip ? -clip : value);
  }
  return 0;
}
