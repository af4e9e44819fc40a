// Writes the committed hostile-upload corpus (libs/audio/test/fixtures/hostile-corpus): malformed
// and adversarial recordings, each with the stable error code it must be refused with, in
// manifest.json. Deterministic: running it again gives the same bytes.
//   node -r @swc-node/register scripts/hostile-corpus/generate.ts
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AudioErrorCode } from '@heartbeat/audio';
import { buildWav, float32Samples, int16Samples, pseudoRandomBytes } from '../../libs/audio/test/wav-builder';

const ROOT = path.resolve(__dirname, '../..');
export const CORPUS_DIR = path.join(ROOT, 'libs/audio/test/fixtures/hostile-corpus');

/** One corpus entry: a single upload, or a WFDB record sent as its .hea and .dat parts. */
export interface CorpusEntry {
  name: string;
  files: string[];
  code: AudioErrorCode;
  what: string;
}

const text = (value: string) => new TextEncoder().encode(value);
const concat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));
const tone = (seconds: number, rate = 2000) =>
  Float32Array.from(
    { length: Math.round(seconds * rate) },
    (_, n) => 0.4 * Math.sin(n / 3) * (n % 1600 < 200 ? 1 : 0.2),
  );
const realFlac = new Uint8Array(readFileSync(path.join(ROOT, 'libs/audio/test/fixtures/a0238.flac')));
const edited = (bytes: Uint8Array, edits: Record<number, number>) => {
  const copy = bytes.slice();
  for (const [offset, value] of Object.entries(edits)) copy[Number(offset)] = value;
  return copy;
};
const validWav = buildWav({ data: int16Samples(tone(3)) });

// --- A FLAC stream forged by hand: CONSTANT subframes, 4096 samples in 8 bytes each, declaring 2 hours.
// (libFLAC does not sync to these frames yet, so an undeclared-length bomb is not in the corpus.)
function crc8(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}
/** FLAC's UTF-8-like coding of the frame number. */
function frameNumber(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x800) return [0xc0 | (n >> 6), 0x80 | (n & 0x3f)];
  if (n < 0x10000) return [0xe0 | (n >> 12), 0x80 | ((n >> 6) & 0x3f), 0x80 | (n & 0x3f)];
  return [0xf0 | (n >> 18), 0x80 | ((n >> 12) & 0x3f), 0x80 | ((n >> 6) & 0x3f), 0x80 | (n & 0x3f)];
}
function constantFlac({
  sampleRate,
  frames,
  value = 1000,
  declareTotal,
}: {
  sampleRate: number;
  frames: number;
  value?: number;
  declareTotal: boolean;
}): Uint8Array {
  const streamInfo = Buffer.alloc(4 + 34);
  streamInfo[0] = 0x80; // last metadata block, STREAMINFO
  streamInfo.writeUIntBE(34, 1, 3);
  streamInfo.writeUInt16BE(4096, 4);
  streamInfo.writeUInt16BE(4096, 6);
  const total = declareTotal ? frames * 4096 : 0;
  // sample rate (20 bits), channels - 1 (3 bits), bits per sample - 1 (5 bits), total samples (36 bits)
  const packed = (BigInt(sampleRate) << 44n) | (0n << 41n) | (15n << 36n) | BigInt(total);
  streamInfo.writeBigUInt64BE(packed, 14);
  const parts: Uint8Array[] = [text('fLaC'), streamInfo];
  for (let n = 0; n < frames; n++) {
    const header = Uint8Array.from([0xff, 0xf8, 0xc0, 0x08, ...frameNumber(n)]);
    const body = concat(header, Uint8Array.from([crc8(header), 0x00, (value >> 8) & 0xff, value & 0xff]));
    const crc = crc16(body);
    parts.push(concat(body, Uint8Array.from([crc >> 8, crc & 0xff])));
  }
  return concat(...parts);
}

const wfdbHeader = (first: string, signal = 'rec.dat 16 1000 16 0 0 0 0 PCG') =>
  text(`${first}\n${signal}\n`);
const pcm16 = (seconds: number, rate = 2000) => int16Samples(tone(seconds, rate));

interface Case {
  name: string;
  code: AudioErrorCode;
  what: string;
  bytes?: Uint8Array;
  wfdb?: { hea: Uint8Array; dat: Uint8Array };
}

const cases: Case[] = [
  { name: 'zero-bytes.wav', code: 'EMPTY_FILE', what: 'an empty file', bytes: new Uint8Array(0) },
  {
    name: 'png-named.wav',
    code: 'UNSUPPORTED_FORMAT',
    what: 'a PNG image',
    bytes: concat(
      Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      pseudoRandomBytes(300, 1),
    ),
  },
  {
    name: 'pdf-named.flac',
    code: 'UNSUPPORTED_FORMAT',
    what: 'a PDF document',
    bytes: text('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n'),
  },
  {
    name: 'zip-named.wav',
    code: 'UNSUPPORTED_FORMAT',
    what: 'a ZIP archive',
    bytes: concat(Uint8Array.from([0x50, 0x4b, 0x03, 0x04]), pseudoRandomBytes(200, 2)),
  },
  {
    name: 'elf-named.mp3',
    code: 'UNSUPPORTED_FORMAT',
    what: 'an ELF executable',
    bytes: concat(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), pseudoRandomBytes(300, 3)),
  },
  {
    name: 'jpeg-named.ogg',
    code: 'UNSUPPORTED_FORMAT',
    what: 'a JPEG image',
    bytes: concat(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]), pseudoRandomBytes(300, 4)),
  },
  {
    name: 'html-named.wav',
    code: 'UNSUPPORTED_FORMAT',
    what: 'an HTML page with a script',
    bytes: text('<!doctype html><script>alert(1)</script>'),
  },
  {
    name: 'csv-named.wav',
    code: 'UNSUPPORTED_FORMAT',
    what: 'a CSV of numbers',
    bytes: text('0.1,0.2,0.3\n'.repeat(200)),
  },
  {
    name: 'random-1k.wav',
    code: 'UNSUPPORTED_FORMAT',
    what: 'random bytes',
    bytes: pseudoRandomBytes(1024, 5),
  },
  {
    name: 'random-64k.flac',
    code: 'UNSUPPORTED_FORMAT',
    what: 'random bytes',
    bytes: pseudoRandomBytes(65_536, 6),
  },
  {
    name: 'nul-bytes.wav',
    code: 'UNSUPPORTED_FORMAT',
    what: '4 KB of NUL bytes',
    bytes: new Uint8Array(4096),
  },
  // Truncated at every boundary of the canonical 44-byte WAV header, and inside the data.
  ...[4, 8, 12, 16, 20, 22, 24, 28, 32, 34, 36, 40, 44].map((cut) => ({
    name: `wav-cut-at-${cut}.wav`,
    code: 'CORRUPT_AUDIO' as AudioErrorCode,
    what: `a WAV cut off after ${cut} header bytes`,
    bytes: validWav.subarray(0, cut),
  })),
  {
    name: 'wav-cut-mid-data.wav',
    code: 'CORRUPT_AUDIO',
    what: 'a WAV whose data stops half-way',
    bytes: validWav.subarray(0, 44 + 3000),
  },
  // FLAC cut at its header boundaries and inside the frames.
  ...[4, 8, 26, 42].map((cut) => ({
    name: `flac-cut-at-${cut}.flac`,
    code: 'CORRUPT_AUDIO' as AudioErrorCode,
    what: `a FLAC cut off after ${cut} bytes`,
    bytes: realFlac.subarray(0, cut),
  })),
  {
    name: 'flac-cut-third.flac',
    code: 'CORRUPT_AUDIO',
    what: 'a FLAC cut off after a third',
    bytes: realFlac.subarray(0, Math.floor(realFlac.length / 3)),
  },
  // Headers that lie about size.
  {
    name: 'wav-claims-2-gb.wav',
    code: 'CORRUPT_AUDIO',
    what: 'a WAV whose data chunk claims 2 GB',
    bytes: buildWav({ data: pcm16(3), declaredDataSize: 0x7fff_fff0 }),
  },
  {
    name: 'wav-claims-4-gb-fmt.wav',
    code: 'CORRUPT_AUDIO',
    what: 'a WAV whose fmt chunk claims 4 GB',
    bytes: buildWav({ data: pcm16(3), declaredFmtSize: 0xffff_fff0 }),
  },
  {
    name: 'flac-claims-hours.flac',
    code: 'TOO_LONG',
    what: 'a FLAC whose STREAMINFO claims 2^36-1 samples',
    bytes: edited(realFlac, { 21: realFlac[21]! | 0x0f, 22: 0xff, 23: 0xff, 24: 0xff, 25: 0xff }),
  },
  // Decompression bombs: a few kilobytes that decode to hours.
  {
    name: 'flac-forged-frames-declared.flac',
    code: 'TOO_LONG',
    what: 'the same forged frames with 2 h declared in STREAMINFO',
    bytes: constantFlac({ sampleRate: 4000, frames: 7032, declareTotal: true }),
  },
  // Sample values.
  {
    name: 'float-nan.wav',
    code: 'INVALID_SAMPLES',
    what: 'a float WAV with one NaN',
    bytes: buildWav({
      formatTag: 3,
      bitsPerSample: 32,
      data: float32Samples(tone(3).map((v, i) => (i === 1000 ? Number.NaN : v))),
    }),
  },
  {
    name: 'float-inf.wav',
    code: 'INVALID_SAMPLES',
    what: 'a float WAV with +Infinity',
    bytes: buildWav({
      formatTag: 3,
      bitsPerSample: 32,
      data: float32Samples(tone(3).map((v, i) => (i === 10 ? Number.POSITIVE_INFINITY : v))),
    }),
  },
  {
    name: 'float-minus-inf.wav',
    code: 'INVALID_SAMPLES',
    what: 'a float WAV with -Infinity',
    bytes: buildWav({
      formatTag: 3,
      bitsPerSample: 32,
      data: float32Samples(tone(3).map((v, i) => (i === 5000 ? Number.NEGATIVE_INFINITY : v))),
    }),
  },
  {
    name: 'float-all-nan.wav',
    code: 'INVALID_SAMPLES',
    what: 'a float WAV of NaN only',
    bytes: buildWav({
      formatTag: 3,
      bitsPerSample: 32,
      data: float32Samples(new Float32Array(6000).fill(Number.NaN)),
    }),
  },
  // Sample rates and channel counts.
  {
    name: 'rate-0.wav',
    code: 'BAD_SAMPLE_RATE',
    what: 'a WAV at 0 Hz',
    bytes: buildWav({ sampleRate: 0, data: pcm16(3) }),
  },
  {
    name: 'rate-1.wav',
    code: 'BAD_SAMPLE_RATE',
    what: 'a WAV at 1 Hz',
    bytes: buildWav({ sampleRate: 1, data: pcm16(3) }),
  },
  {
    name: 'rate-10mhz.wav',
    code: 'BAD_SAMPLE_RATE',
    what: 'a WAV at 10 MHz',
    bytes: buildWav({ sampleRate: 10_000_000, data: pcm16(3) }),
  },
  {
    name: 'rate-max-uint32.wav',
    code: 'BAD_SAMPLE_RATE',
    what: 'a WAV at 4294967295 Hz',
    bytes: buildWav({ sampleRate: 0xffff_ffff, data: pcm16(3) }),
  },
  {
    name: 'flac-rate-0.flac',
    code: 'BAD_SAMPLE_RATE',
    what: 'a FLAC whose STREAMINFO says 0 Hz',
    bytes: edited(realFlac, { 18: 0, 19: 0, 20: realFlac[20]! & 0x0f }),
  },
  {
    name: 'flac-rate-1mhz.flac',
    code: 'BAD_SAMPLE_RATE',
    what: 'a FLAC at 1,048,575 Hz',
    bytes: edited(realFlac, { 18: 0xff, 19: 0xff, 20: 0xf0 | (realFlac[20]! & 0x0f) }),
  },
  {
    name: 'channels-0.wav',
    code: 'CORRUPT_AUDIO',
    what: 'a WAV with 0 channels',
    bytes: buildWav({ channels: 0, data: pcm16(3), blockAlign: 2 }),
  },
  {
    name: 'channels-65535.wav',
    code: 'CORRUPT_AUDIO',
    what: 'a WAV with 65,535 channels',
    bytes: buildWav({ channels: 65_535, data: pcm16(3) }),
  },
  {
    name: 'bits-0.wav',
    code: 'CORRUPT_AUDIO',
    what: 'a WAV with 0 bits per sample',
    bytes: buildWav({ bitsPerSample: 0, blockAlign: 2, data: pcm16(3) }),
  },
  {
    name: 'bits-7.wav',
    code: 'CORRUPT_AUDIO',
    what: 'a WAV with 7 bits per sample',
    bytes: buildWav({ bitsPerSample: 7, blockAlign: 1, data: pcm16(3) }),
  },
  {
    name: 'bits-64-int.wav',
    code: 'CORRUPT_AUDIO',
    what: 'a PCM WAV with 64-bit integers',
    bytes: buildWav({ bitsPerSample: 64, data: pcm16(3) }),
  },
  {
    name: 'block-align-0.wav',
    code: 'CORRUPT_AUDIO',
    what: 'a WAV with block align 0',
    bytes: buildWav({ blockAlign: 0, data: pcm16(3) }),
  },
  {
    name: 'format-tag-unknown.wav',
    code: 'UNSUPPORTED_FORMAT',
    what: 'a WAV with format tag 0x1234',
    bytes: buildWav({ formatTag: 0x1234, data: pcm16(3) }),
  },
  {
    name: 'no-data-chunk.wav',
    code: 'CORRUPT_AUDIO',
    what: 'a WAV with a fmt chunk and no data chunk',
    bytes: buildWav({ data: new Uint8Array(0) }).subarray(0, 36),
  },
  {
    name: 'data-before-fmt.wav',
    code: 'CORRUPT_AUDIO',
    what: 'a WAV with its data chunk before fmt',
    bytes: buildWav({ data: pcm16(3), dataBeforeFmt: true }),
  },
  {
    name: 'chunk-claims-past-end.wav',
    code: 'CORRUPT_AUDIO',
    what: 'a WAV with a LIST chunk claiming 1 GB before data',
    bytes: concat(
      validWav.subarray(0, 36),
      text('LIST'),
      Uint8Array.from([0xf0, 0xff, 0xff, 0x3f]),
      validWav.subarray(36),
    ),
  },
  // Unscreenable content in a valid container.
  {
    name: 'half-second.wav',
    code: 'TOO_SHORT',
    what: '0.5 s of audio',
    bytes: buildWav({ data: pcm16(0.5) }),
  },
  {
    name: 'silence-60s.wav',
    code: 'SILENT',
    what: '60 s of digital silence',
    bytes: buildWav({ sampleRate: 500, data: new Uint8Array(60 * 500 * 2) }),
  },
  {
    name: 'eleven-minutes.wav',
    code: 'TOO_LONG',
    what: '11 minutes at 500 Hz',
    bytes: buildWav({ sampleRate: 500, data: int16Samples(tone(660, 500)) }),
  },
  // Polyglots and look-alikes.
  {
    name: 'riff-then-png.wav',
    code: 'CORRUPT_AUDIO',
    what: 'a RIFF/WAVE header followed by a PNG',
    bytes: concat(
      text('RIFF'),
      Uint8Array.from([0xff, 0xff, 0, 0]),
      text('WAVE'),
      Uint8Array.from([0x89, 0x50, 0x4e, 0x47]),
      pseudoRandomBytes(500, 7),
    ),
  },
  {
    name: 'flac-magic-then-zip.flac',
    code: 'CORRUPT_AUDIO',
    what: 'fLaC magic followed by a ZIP archive',
    bytes: concat(text('fLaC'), Uint8Array.from([0x50, 0x4b, 0x03, 0x04]), pseudoRandomBytes(500, 8)),
  },
  {
    name: 'id3-without-audio.mp3',
    code: 'CORRUPT_AUDIO',
    what: 'an ID3 tag with no MP3 frames',
    bytes: concat(text('ID3'), Uint8Array.from([3, 0, 0, 0, 0, 0, 20]), new Uint8Array(20)),
  },
  {
    name: 'oggs-garbage.ogg',
    code: 'CORRUPT_AUDIO',
    what: 'an OggS capture pattern followed by garbage',
    bytes: concat(text('OggS'), Uint8Array.from([0, 2]), pseudoRandomBytes(400, 9)),
  },
  {
    name: 'mp3-sync-garbage.mp3',
    code: 'TOO_SHORT',
    what: 'MPEG frame sync words around garbage',
    bytes: concat(Uint8Array.from([0xff, 0xfb, 0x90, 0x64]), pseudoRandomBytes(2000, 10)),
  },
  {
    name: 'wav-with-html-data.wav',
    code: 'TOO_SHORT',
    what: 'a WAV header whose data is an HTML page (odd length)',
    bytes: buildWav({ data: text('<html><body><script>alert(1)</script></body></html>') }),
  },
  {
    name: 'wfdb-header-alone.hea',
    code: 'UNSUPPORTED_FORMAT',
    what: 'a WFDB header without its signal file',
    bytes: wfdbHeader('rec 1 2000 6000'),
  },
  // WFDB records (.hea + .dat) with absurd headers.
  {
    name: 'wfdb-100000-signals',
    code: 'CORRUPT_AUDIO',
    what: 'a header declaring 100,000 signals',
    wfdb: { hea: wfdbHeader('rec 100000 2000 6000'), dat: pcm16(3) },
  },
  {
    name: 'wfdb-0-signals',
    code: 'CORRUPT_AUDIO',
    what: 'a header declaring 0 signals',
    wfdb: { hea: wfdbHeader('rec 0 2000 6000'), dat: pcm16(3) },
  },
  {
    name: 'wfdb-rate-0',
    code: 'BAD_SAMPLE_RATE',
    what: 'a header at 0 Hz',
    wfdb: { hea: wfdbHeader('rec 1 0 6000'), dat: pcm16(3) },
  },
  {
    name: 'wfdb-rate-10mhz',
    code: 'BAD_SAMPLE_RATE',
    what: 'a header at 10 MHz',
    wfdb: { hea: wfdbHeader('rec 1 10000000 6000'), dat: pcm16(3) },
  },
  {
    name: 'wfdb-1e12-samples',
    code: 'TOO_LONG',
    what: 'a header claiming 10^12 samples',
    wfdb: { hea: wfdbHeader('rec 1 2000 1000000000000'), dat: pcm16(3) },
  },
  {
    name: 'wfdb-negative-samples',
    code: 'CORRUPT_AUDIO',
    what: 'a header claiming -5 samples',
    wfdb: { hea: wfdbHeader('rec 1 2000 -5'), dat: pcm16(3) },
  },
  {
    name: 'wfdb-no-signal-lines',
    code: 'CORRUPT_AUDIO',
    what: 'a header that describes none of its signals',
    wfdb: { hea: text('rec 2 2000 6000\n'), dat: pcm16(3) },
  },
  {
    name: 'wfdb-format-999',
    code: 'UNSUPPORTED_FORMAT',
    what: 'a signal in storage format 999',
    wfdb: { hea: wfdbHeader('rec 1 2000 6000', 'rec.dat 999 1000 16 0 0 0 0 PCG'), dat: pcm16(3) },
  },
  {
    name: 'wfdb-dat-short',
    code: 'CORRUPT_AUDIO',
    what: 'a .dat holding a tenth of the samples the header claims',
    wfdb: { hea: wfdbHeader('rec 1 2000 60000'), dat: pcm16(3) },
  },
  {
    name: 'wfdb-rate-not-a-number',
    code: 'BAD_SAMPLE_RATE',
    what: 'a header whose sampling frequency is "abc"',
    wfdb: { hea: wfdbHeader('rec 1 abc 6000'), dat: pcm16(3) },
  },
  {
    name: 'wfdb-rate-infinity',
    code: 'BAD_SAMPLE_RATE',
    what: 'a header whose sampling frequency is 1e400',
    wfdb: { hea: wfdbHeader('rec 1 1e400 6000'), dat: pcm16(3) },
  },
  {
    name: 'wfdb-multisegment',
    code: 'UNSUPPORTED_FORMAT',
    what: 'a multi-segment record',
    wfdb: { hea: wfdbHeader('rec/2 1 2000 6000'), dat: pcm16(3) },
  },
  {
    name: 'wfdb-empty-header',
    code: 'CORRUPT_AUDIO',
    what: 'an empty header',
    wfdb: { hea: text('# only a comment\n'), dat: pcm16(3) },
  },
];

export function writeCorpus(): CorpusEntry[] {
  rmSync(CORPUS_DIR, { recursive: true, force: true });
  mkdirSync(CORPUS_DIR, { recursive: true });
  const manifest: CorpusEntry[] = [];
  for (const entry of cases) {
    if (entry.wfdb) {
      const hea = `${entry.name}.hea`;
      const dat = `${entry.name}.dat`;
      // The header names its signal file; point it at this record's .dat.
      writeFileSync(
        path.join(CORPUS_DIR, hea),
        Buffer.from(entry.wfdb.hea)
          .toString('latin1')
          .replace(/^rec\.dat /m, `${dat} `),
        'latin1',
      );
      writeFileSync(path.join(CORPUS_DIR, dat), entry.wfdb.dat);
      manifest.push({ name: entry.name, files: [hea, dat], code: entry.code, what: entry.what });
    } else {
      writeFileSync(path.join(CORPUS_DIR, entry.name), entry.bytes!);
      manifest.push({ name: entry.name, files: [entry.name], code: entry.code, what: entry.what });
    }
  }
  writeFileSync(path.join(CORPUS_DIR, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

if (require.main === module) {
  const manifest = writeCorpus();
  const files = manifest.reduce((sum, entry) => sum + entry.files.length, 0);
  console.log(
    `Wrote ${manifest.length} corpus entries (${files} files) to ${path.relative(ROOT, CORPUS_DIR)}`,
  );
}
