// Decodes a complete native FLAC file straight into mono float32 samples, scaled and mixed exactly as
// @audio/decode-flac (libFLAC) followed by mixToMono does, in one pass with no per-frame copies; 12- and
// 20-bit samples, which that wrapper scales to infinity, are scaled the same way. It is strict on
// purpose: anything it does not decode exactly like libFLAC (a bad CRC, an unsupported or reserved
// feature, frames that do not add up to STREAMINFO, bytes after the last frame, a value out of range)
// makes it return a negative code, and the caller decodes the file the old way instead, so errors and
// odd files keep their behaviour. Every read is bounded by the input's length; the caller leaves 16
// zero bytes after the input for the bit reader's word loads. Rebuild with build.sh.
#include <stdint.h>

#define MAX_CHANNELS 8
#define MAX_BLOCK 65535
#define INPUT_PADDING 16

/* Why a file was not decoded (the caller only tells success from failure; the bench counts them). */
enum {
  NOT_FLAC = -1,
  BAD_METADATA = -2,
  UNSUPPORTED_STREAM = -3,
  BAD_FRAME_HEADER = -4,
  FRAME_MISMATCHES_STREAMINFO = -5,
  BAD_SUBFRAME = -6,
  BAD_RESIDUAL = -7,
  OUT_OF_RANGE = -8,
  CRC_MISMATCH = -9,
  TRUNCATED = -10,
  SAMPLE_COUNT_MISMATCH = -11,
  TRAILING_BYTES = -12,
  TOO_MANY_SAMPLES = -13,
  NEEDS_STREAMINFO = -14,
};

static int32_t channel_samples[MAX_CHANNELS][MAX_BLOCK];
/* crc16_tables[k][b]: CRC-16 of byte b followed by k zero bytes, for eight bytes per step. */
static uint16_t crc16_tables[8][256];

typedef struct {
  const uint8_t* data;
  uint32_t length; /* bytes of input; the bit reader fails once it has consumed more */
  uint32_t next;   /* byte index of the next 32-bit word to load */
  uint64_t cache;  /* unread bits, left-aligned; bits below `count` are zero */
  int count;
} BitReader;

static inline uint32_t load_big_endian_32(const uint8_t* p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Tops the cache up when it holds 32 bits or fewer. Past the input (and its padding) it adds zeros. */
static inline void refill(BitReader* r) {
  if (r->count <= 32) {
    const uint32_t word = r->next + 4 <= r->length + INPUT_PADDING ? load_big_endian_32(r->data + r->next) : 0;
    r->cache |= (uint64_t)word << (32 - r->count);
    r->next += 4;
    r->count += 32;
  }
}

static inline uint64_t bits_consumed(const BitReader* r) { return (uint64_t)r->next * 8 - r->count; }
static inline int overran(const BitReader* r) { return bits_consumed(r) > (uint64_t)r->length * 8; }

/* n <= 32 bits as an unsigned number. */
static inline uint32_t read_bits(BitReader* r, int n) {
  if (n == 0) return 0;
  if (r->count < n) refill(r);
  const uint32_t value = (uint32_t)(r->cache >> (64 - n));
  r->cache <<= n;
  r->count -= n;
  return value;
}

/* 1 <= n <= 32 bits as a two's complement number. */
static inline int32_t read_signed(BitReader* r, int n) {
  const uint32_t value = read_bits(r, n);
  return n == 32 ? (int32_t)value : (int32_t)(value << (32 - n)) >> (32 - n);
}

/* Zeros before the next one bit (which is consumed), or -1 past the input or above `most`. */
static int64_t read_unary(BitReader* r, int64_t most) {
  int64_t zeros = 0;
  for (;;) {
    refill(r);
    if (r->cache != 0) {
      const int z = __builtin_clzll(r->cache);
      zeros += z;
      r->cache = (r->cache << z) << 1;
      r->count -= z + 1;
      return zeros <= most && !overran(r) ? zeros : -1;
    }
    zeros += r->count;
    r->count = 0;
    if (zeros > most || overran(r)) return -1;
  }
}

static void build_crc16_tables(void) {
  for (int i = 0; i < 256; i++) {
    uint32_t crc = (uint32_t)i << 8;
    for (int bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x8005 : crc << 1;
    crc16_tables[0][i] = (uint16_t)crc;
  }
  for (int k = 1; k < 8; k++)
    for (int i = 0; i < 256; i++) {
      const uint32_t previous = crc16_tables[k - 1][i];
      crc16_tables[k][i] = (uint16_t)((previous << 8) ^ crc16_tables[0][previous >> 8]);
    }
}

static uint32_t crc16(const uint8_t* bytes, uint32_t from, uint32_t to) {
  uint32_t crc = 0;
  uint32_t i = from;
  for (; i + 8 <= to; i += 8) {
    const uint8_t* b = bytes + i;
    crc = crc16_tables[7][b[0] ^ (crc >> 8)] ^ crc16_tables[6][b[1] ^ (crc & 0xff)] ^ crc16_tables[5][b[2]] ^
          crc16_tables[4][b[3]] ^ crc16_tables[3][b[4]] ^ crc16_tables[2][b[5]] ^ crc16_tables[1][b[6]] ^
          crc16_tables[0][b[7]];
  }
  for (; i < to; i++) crc = ((crc << 8) & 0xffff) ^ crc16_tables[0][(crc >> 8) ^ bytes[i]];
  return crc;
}

static uint32_t crc8(const uint8_t* bytes, uint32_t from, uint32_t to) {
  uint32_t crc = 0;
  for (uint32_t i = from; i < to; i++) {
    crc ^= bytes[i];
    for (int bit = 0; bit < 8; bit++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

/*
 * The residual of a subframe with `order` warm-up samples into out[order .. blocksize): Rice-coded
 * partitions with 4-bit (method 0) or 5-bit (method 1) parameters, or escaped to raw n-bit values.
 */
static int read_residual(BitReader* r, int32_t* out, int blocksize, int order) {
  const uint32_t method = read_bits(r, 2);
  if (method > 1) return BAD_RESIDUAL;
  const int parameter_bits = method == 0 ? 4 : 5;
  const uint32_t escape = method == 0 ? 15 : 31;
  const int partition_order = (int)read_bits(r, 4);
  const int partition_samples = blocksize >> partition_order;
  if ((partition_samples << partition_order) != blocksize || partition_samples < order) return BAD_RESIDUAL;
  int i = order;
  for (int partition = 0; partition < (1 << partition_order); partition++) {
    const int end = (partition + 1) * partition_samples;
    const uint32_t parameter = read_bits(r, parameter_bits);
    if (parameter == escape) {
      const int bits = (int)read_bits(r, 5);
      for (; i < end; i++) out[i] = bits == 0 ? 0 : read_signed(r, bits);
    } else {
      /* Local copies keep the reader in registers through the hot loop. */
      const int k = (int)parameter;
      uint64_t cache = r->cache;
      int count = r->count;
      for (; i < end; i++) {
        if (count <= 32) {
          r->cache = cache;
          r->count = count;
          refill(r);
          cache = r->cache;
          count = r->count;
        }
        const int zeros = cache ? __builtin_clzll(cache) : 64;
        uint64_t value;
        if (zeros + 1 + k <= count) {
          cache = (cache << zeros) << 1;
          value = ((uint64_t)zeros << k) | ((cache >> 1) >> (63 - k));
          cache <<= k;
          count -= zeros + 1 + k;
        } else {
          r->cache = cache;
          r->count = count;
          const int64_t quotient = read_unary(r, 0xffffffffLL);
          if (quotient < 0) return BAD_RESIDUAL;
          value = ((uint64_t)quotient << k) | read_bits(r, k);
          cache = r->cache;
          count = r->count;
        }
        if (value > 0xffffffffULL) return BAD_RESIDUAL; /* libFLAC keeps residuals in 32 bits */
        const uint32_t folded = (uint32_t)value;
        out[i] = (int32_t)(folded >> 1) ^ -(int32_t)(folded & 1);
      }
      r->cache = cache;
      r->count = count;
    }
    if (overran(r)) return TRUNCATED;
  }
  return 0;
}

static inline int in_range(int64_t value, int bps) {
  return value >= -((int64_t)1 << (bps - 1)) && value < ((int64_t)1 << (bps - 1));
}

/*
 * Fixed polynomial prediction of order 0-4, in place over the residual. libFLAC does this in 32-bit
 * arithmetic; with every sample in range the 64-bit sums here give the same values.
 */
static int restore_fixed(int32_t* s, int blocksize, int order, int bps) {
  for (int i = order; i < blocksize; i++) {
    int64_t value = s[i];
    switch (order) {
      case 1: value += s[i - 1]; break;
      case 2: value += 2 * (int64_t)s[i - 1] - s[i - 2]; break;
      case 3: value += 3 * ((int64_t)s[i - 1] - s[i - 2]) + s[i - 3]; break;
      case 4: value += 4 * ((int64_t)s[i - 1] + s[i - 3]) - 6 * (int64_t)s[i - 2] - s[i - 4]; break;
      default: break;
    }
    if (!in_range(value, bps)) return OUT_OF_RANGE;
    s[i] = (int32_t)value;
  }
  return 0;
}

/*
 * LPC prediction in place over the residual, for an order known when inlined (the loop over the
 * coefficients unrolls, and the newest sample, on which the next one waits, is added last). libFLAC sums
 * in 32 bits when bps + precision + log2(order) <= 32, which cannot overflow with every sample in range
 * (checked), and in 64 bits otherwise, as here; it adds the residual in 32 bits: same values while the
 * prediction and the sample fit (else: fail).
 */
static inline __attribute__((always_inline)) int restore_lpc_of_order(int32_t* s, int blocksize, int order,
                                                                      const int32_t* coefficients, int shift,
                                                                      int bps) {
  const int64_t lowest = -((int64_t)1 << (bps - 1)), highest = ((int64_t)1 << (bps - 1)) - 1;
  int32_t newest = s[order - 1];
  for (int i = order; i < blocksize; i++) {
    int64_t sum = 0;
    for (int j = order - 1; j > 0; j--) sum += (int64_t)coefficients[j] * s[i - 1 - j];
    sum += (int64_t)coefficients[0] * newest;
    const int64_t prediction = sum >> shift;
    const int64_t value = s[i] + prediction;
    if (prediction < INT32_MIN || prediction > INT32_MAX || value < lowest || value > highest) return OUT_OF_RANGE;
    newest = s[i] = (int32_t)value;
  }
  return 0;
}

static int restore_lpc(int32_t* s, int blocksize, int order, const int32_t* coefficients, int shift, int bps) {
  switch (order) {
#define ORDER(n) \
  case n: return restore_lpc_of_order(s, blocksize, n, coefficients, shift, bps);
    ORDER(1) ORDER(2) ORDER(3) ORDER(4) ORDER(5) ORDER(6) ORDER(7) ORDER(8) ORDER(9) ORDER(10) ORDER(11) ORDER(12)
#undef ORDER
    default: return restore_lpc_of_order(s, blocksize, order, coefficients, shift, bps);
  }
}

static int read_subframe(BitReader* r, int32_t* s, int blocksize, int bps) {
  const uint32_t header = read_bits(r, 8);
  if (header & 0x80) return BAD_SUBFRAME;
  const uint32_t type = (header >> 1) & 0x3f;
  int wasted = 0;
  if (header & 1) {
    const int64_t zeros = read_unary(r, 31);
    if (zeros < 0 || zeros + 1 >= bps) return BAD_SUBFRAME;
    wasted = (int)zeros + 1;
    bps -= wasted;
  }
  int status = 0;
  if (type == 0) {
    const int32_t value = read_signed(r, bps);
    for (int i = 0; i < blocksize; i++) s[i] = value;
  } else if (type == 1) {
    for (int i = 0; i < blocksize; i++) s[i] = read_signed(r, bps);
  } else if (type >= 8 && type <= 12) {
    const int order = (int)type - 8;
    if (order > blocksize) return BAD_SUBFRAME;
    for (int i = 0; i < order; i++) s[i] = read_signed(r, bps);
    status = read_residual(r, s, blocksize, order);
    if (status == 0) status = restore_fixed(s, blocksize, order, bps);
  } else if (type >= 32) {
    const int order = (int)type - 31;
    if (order > blocksize) return BAD_SUBFRAME;
    for (int i = 0; i < order; i++) s[i] = read_signed(r, bps);
    const int precision = (int)read_bits(r, 4) + 1;
    if (precision == 16) return BAD_SUBFRAME;
    const int shift = read_signed(r, 5);
    if (shift < 0) return BAD_SUBFRAME;
    int32_t coefficients[32];
    for (int j = 0; j < order; j++) coefficients[j] = read_signed(r, precision);
    status = read_residual(r, s, blocksize, order);
    if (status == 0) status = restore_lpc(s, blocksize, order, coefficients, shift, bps);
  } else {
    return BAD_SUBFRAME; /* reserved type */
  }
  if (status != 0) return status;
  if (overran(r)) return TRUNCATED;
  if (wasted > 0)
    for (int i = 0; i < blocksize; i++) s[i] = (int32_t)((uint32_t)s[i] << wasted);
  return 0;
}

static const int sample_rate_codes[12] = {0,     88200, 176400, 192000, 8000,  16000,
                                          22050, 24000, 32000,  44100,  48000, 96000};
static const int bits_per_sample_codes[8] = {0, 8, 12, -1, 16, 20, 24, -1};

typedef struct {
  int sample_rate;
  int channels;
  int bits_per_sample;
  uint64_t total_samples;
} StreamInfo;

/* The frame header's coded frame or sample number (FLAC's UTF-8-like code), or -1 if malformed. */
static int64_t read_coded_number(BitReader* r) {
  const uint32_t lead = read_bits(r, 8);
  int more;
  uint64_t value;
  if (lead < 0x80) return lead;
  if (lead < 0xc0) return -1;
  if (lead < 0xe0) more = 1, value = lead & 0x1f;
  else if (lead < 0xf0) more = 2, value = lead & 0x0f;
  else if (lead < 0xf8) more = 3, value = lead & 0x07;
  else if (lead < 0xfc) more = 4, value = lead & 0x03;
  else if (lead < 0xfe) more = 5, value = lead & 0x01;
  else if (lead == 0xfe) more = 6, value = 0;
  else return -1;
  for (int i = 0; i < more; i++) {
    const uint32_t next = read_bits(r, 8);
    if ((next & 0xc0) != 0x80) return -1;
    value = (value << 6) | (next & 0x3f);
  }
  return (int64_t)value;
}

/*
 * Decodes the frame at byte `start` and adds its mono samples at out[written ..). Returns the frame's
 * block size, or a negative code.
 */
static int decode_frame(BitReader* r, uint32_t start, const StreamInfo* info, int* variable_blocking,
                        uint64_t frame_index, uint64_t written, float* out, uint64_t capacity) {
  const uint32_t sync = read_bits(r, 15);
  if (sync != 0x7ffc) return BAD_FRAME_HEADER; /* 14-bit sync code and the reserved zero bit */
  const int variable = (int)read_bits(r, 1);
  if (frame_index == 0) *variable_blocking = variable;
  else if (variable != *variable_blocking) return BAD_FRAME_HEADER;
  const uint32_t block_code = read_bits(r, 4);
  const uint32_t rate_code = read_bits(r, 4);
  const uint32_t assignment = read_bits(r, 4);
  const uint32_t bps_code = read_bits(r, 3);
  if (read_bits(r, 1) != 0 || block_code == 0 || rate_code == 15 || assignment > 10) return BAD_FRAME_HEADER;
  /* @audio/decode-flac hands libFLAC the frames without the metadata, so it cannot decode these. */
  if (rate_code == 0 || bps_code == 0) return NEEDS_STREAMINFO;
  const int64_t number = read_coded_number(r);
  if (number < 0 || (uint64_t)number != (variable ? written : frame_index)) return BAD_FRAME_HEADER;
  int blocksize;
  if (block_code == 1) blocksize = 192;
  else if (block_code <= 5) blocksize = 576 << (block_code - 2);
  else if (block_code == 6) blocksize = (int)read_bits(r, 8) + 1;
  else if (block_code == 7) blocksize = (int)read_bits(r, 16) + 1;
  else blocksize = 256 << (block_code - 8);
  int sample_rate = 0;
  if (rate_code >= 1 && rate_code <= 11) sample_rate = sample_rate_codes[rate_code];
  else if (rate_code == 12) sample_rate = (int)read_bits(r, 8) * 1000;
  else if (rate_code == 13) sample_rate = (int)read_bits(r, 16);
  else if (rate_code == 14) sample_rate = (int)read_bits(r, 16) * 10;
  if (overran(r)) return TRUNCATED;
  const uint32_t header_end = (uint32_t)(bits_consumed(r) / 8);
  if (read_bits(r, 8) != crc8(r->data, start, header_end)) return BAD_FRAME_HEADER;
  if (blocksize > MAX_BLOCK) return BAD_FRAME_HEADER;

  const int channels = assignment <= 7 ? (int)assignment + 1 : 2;
  const int bps = bits_per_sample_codes[bps_code];
  if (sample_rate != info->sample_rate || channels != info->channels || bps != info->bits_per_sample)
    return FRAME_MISMATCHES_STREAMINFO;
  if (written + (uint64_t)blocksize > capacity) return TOO_MANY_SAMPLES;

  for (int c = 0; c < channels; c++) {
    /* The side channel of a stereo pair carries one bit more. */
    const int side = (assignment == 8 && c == 1) || (assignment == 9 && c == 0) || (assignment == 10 && c == 1);
    const int status = read_subframe(r, channel_samples[c], blocksize, bps + side);
    if (status != 0) return status;
  }
  const int padding = r->count & 7;
  if (read_bits(r, padding) != 0) return BAD_FRAME_HEADER;
  const uint32_t frame_end = (uint32_t)(bits_consumed(r) / 8);
  if (overran(r) || frame_end + 2 > r->length) return TRUNCATED;
  if (read_bits(r, 16) != crc16(r->data, start, frame_end)) return CRC_MISMATCH;

  int32_t* left = channel_samples[0];
  int32_t* right = channel_samples[1];
  if (assignment == 8) {
    for (int i = 0; i < blocksize; i++) right[i] = left[i] - right[i];
  } else if (assignment == 9) {
    for (int i = 0; i < blocksize; i++) left[i] += right[i];
  } else if (assignment == 10) {
    for (int i = 0; i < blocksize; i++) {
      const int32_t side = right[i];
      const int32_t mid = (int32_t)((uint32_t)left[i] << 1) | (side & 1);
      left[i] = (mid + side) >> 1;
      right[i] = (mid - side) >> 1;
    }
  }
  /* @audio/decode-flac's scale (full scale = 2^(bps-1) - 1, float division), then mixToMono's mean. */
  const float full_scale = (float)((1 << (bps - 1)) - 1);
  float* mono = out + written;
  if (channels == 1) {
    for (int i = 0; i < blocksize; i++) mono[i] = (float)left[i] / full_scale;
  } else {
    const double mean_scale = 1.0 / channels;
    for (int i = 0; i < blocksize; i++) {
      float sum = 0.0f;
      for (int c = 0; c < channels; c++) sum += (float)channel_samples[c][i] / full_scale;
      mono[i] = (float)((double)sum * mean_scale);
    }
  }
  return blocksize;
}

/*
 * input[0 .. length) is a whole native FLAC file followed by INPUT_PADDING zero bytes. Writes its mono
 * samples to out (at most `capacity`), and sample rate, channels, bits per sample and the samples'
 * peak magnitude (float32) to info[0..4).
 * Returns the number of samples, or a negative code (nothing usable was written).
 */
__attribute__((export_name("decode_flac_to_mono"))) int32_t decode_flac_to_mono(
    const uint8_t* input, uint32_t length, float* out, uint32_t capacity, int32_t* info_out) {
  if (crc16_tables[0][1] == 0) build_crc16_tables();
  if (length < 4 || input[0] != 'f' || input[1] != 'L' || input[2] != 'a' || input[3] != 'C') return NOT_FLAC;
  if (length < 8 + 34 || (input[4] & 0x7f) != 0 || ((input[5] << 16) | (input[6] << 8) | input[7]) != 34)
    return BAD_METADATA;
  const uint8_t* streaminfo = input + 8;
  StreamInfo info;
  info.sample_rate = (streaminfo[10] << 12) | (streaminfo[11] << 4) | (streaminfo[12] >> 4);
  info.channels = ((streaminfo[12] >> 1) & 7) + 1;
  info.bits_per_sample = (((streaminfo[12] & 1) << 4) | (streaminfo[13] >> 4)) + 1;
  info.total_samples = ((uint64_t)(streaminfo[13] & 0x0f) << 32) | ((uint64_t)streaminfo[14] << 24) |
                       ((uint32_t)streaminfo[15] << 16) | ((uint32_t)streaminfo[16] << 8) | streaminfo[17];
  /* The sizes a frame header can name (32 bits: not here). @audio/decode-flac scales only 8, 16 and 24
     bits; 12- and 20-bit files, infinite there, are decoded only here. */
  const int bits = info.bits_per_sample;
  if (info.sample_rate == 0 || (bits != 8 && bits != 12 && bits != 16 && bits != 20 && bits != 24) ||
      info.total_samples == 0)
    return UNSUPPORTED_STREAM;
  if (info.total_samples > capacity) return TOO_MANY_SAMPLES;

  uint32_t offset = 4;
  for (;;) {
    if (offset + 4 > length) return BAD_METADATA;
    const int last = input[offset] & 0x80;
    if ((input[offset] & 0x7f) == 127) return BAD_METADATA;
    offset += 4 + ((input[offset + 1] << 16) | (input[offset + 2] << 8) | input[offset + 3]);
    if (offset > length) return BAD_METADATA;
    if (last) break;
  }

  BitReader reader = {input, length, offset, 0, 0};
  uint64_t written = 0;
  int variable_blocking = 0;
  for (uint64_t frame = 0; bits_consumed(&reader) < (uint64_t)length * 8; frame++) {
    if (written == info.total_samples) return TRAILING_BYTES;
    const uint32_t start = (uint32_t)(bits_consumed(&reader) / 8);
    const int samples =
        decode_frame(&reader, start, &info, &variable_blocking, frame, written, out, info.total_samples);
    if (samples < 0) return samples;
    written += (uint64_t)samples;
  }
  if (written != info.total_samples) return SAMPLE_COUNT_MISMATCH;
  /* The largest magnitude, which decodeAudio's silence check needs (the samples are all finite). */
  float peak = 0;
  for (uint32_t i = 0; i < (uint32_t)written; i++) {
    const float magnitude = __builtin_fabsf(out[i]);
    peak = magnitude > peak ? magnitude : peak;
  }
  info_out[0] = info.sample_rate;
  info_out[1] = info.channels;
  info_out[2] = info.bits_per_sample;
  __builtin_memcpy(&info_out[3], &peak, 4);
  return (int32_t)written;
}
