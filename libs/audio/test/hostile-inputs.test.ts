// A corpus of malformed and hostile uploads: each must end in its typed AudioError, quickly, without
// taking the process down.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AudioError, decodeAudio, decodeWfdbRecord, type AudioErrorCode } from '@heartbeat/audio';
import { buildWav, concat, float32Samples, int16Samples, pseudoRandomBytes, text } from './wav-builder';

const tone = (seconds: number, rate = 2000): Float32Array =>
  Float32Array.from({ length: seconds * rate }, (_, n) => 0.5 * Math.sin(n / 3));
const realFlac = new Uint8Array(readFileSync(join(__dirname, 'fixtures', 'a0238.flac')));
const withBytes = (bytes: Uint8Array, edits: Record<number, number>): Uint8Array => {
  const copy = bytes.slice();
  for (const [offset, value] of Object.entries(edits)) copy[Number(offset)] = value;
  return copy;
};
// STREAMINFO sample rate occupies bytes 18-20 (20 bits); total samples the low 36 bits of bytes 21-25.
const flacWithRate = (rate: number): Uint8Array =>
  withBytes(realFlac, {
    18: (rate >> 12) & 0xff,
    19: (rate >> 4) & 0xff,
    20: ((rate & 0x0f) << 4) | (realFlac[20] & 0x0f),
  });
const flacWithTotalSamples = (total: number): Uint8Array =>
  withBytes(realFlac, {
    21: (realFlac[21] & 0xf0) | Math.floor(total / 2 ** 32),
    22: (total >>> 24) & 0xff,
    23: (total >>> 16) & 0xff,
    24: (total >>> 8) & 0xff,
    25: total & 0xff,
  });
const validWav = buildWav({ data: int16Samples(tone(3)) });
const wfdbHeader = (firstLine: string, signalLine = 'rec.dat 16 1000 16 0 0 0 0 PCG'): string =>
  `${firstLine}\n${signalLine}\n`;

type HostileCase = { name: string; code: AudioErrorCode; decode: () => Promise<unknown>; mentions?: RegExp };
const upload =
  (bytes: Uint8Array, options = {}) =>
  () =>
    decodeAudio(bytes, options);
const wfdb = (header: string, dat: Uint8Array) => async () => decodeWfdbRecord(header, dat);

const corpus: HostileCase[] = [
  { name: 'an empty file', code: 'EMPTY_FILE', decode: upload(new Uint8Array(0)) },
  {
    name: 'a PNG image',
    code: 'UNSUPPORTED_FORMAT',
    decode: upload(
      concat(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), pseudoRandomBytes(200)),
    ),
    mentions: /PNG/,
  },
  {
    name: 'a JPEG photo',
    code: 'UNSUPPORTED_FORMAT',
    decode: upload(concat(Uint8Array.of(0xff, 0xd8, 0xff, 0xe0), pseudoRandomBytes(200))),
    mentions: /JPEG/,
  },
  {
    name: 'a PDF report',
    code: 'UNSUPPORTED_FORMAT',
    decode: upload(text('%PDF-1.7\n%binary\n1 0 obj\n')),
    mentions: /PDF/,
  },
  {
    name: 'a ZIP archive',
    code: 'UNSUPPORTED_FORMAT',
    decode: upload(concat(Uint8Array.of(0x50, 0x4b, 0x03, 0x04), pseudoRandomBytes(100))),
    mentions: /ZIP/,
  },
  {
    name: 'a plain text note',
    code: 'UNSUPPORTED_FORMAT',
    decode: upload(text('patient 42: murmur at apex, please review\n')),
    mentions: /text/,
  },
  {
    name: 'an HTML error page',
    code: 'UNSUPPORTED_FORMAT',
    decode: upload(text('<!DOCTYPE html><html><body>502 Bad Gateway</body></html>')),
    mentions: /HTML/,
  },
  {
    name: 'a DICOM file',
    code: 'UNSUPPORTED_FORMAT',
    decode: upload(concat(new Uint8Array(128), text('DICM'), pseudoRandomBytes(64))),
    mentions: /DICOM/,
  },
  {
    name: 'an MP4/M4A recording',
    code: 'UNSUPPORTED_FORMAT',
    decode: upload(concat(Uint8Array.of(0, 0, 0, 0x20), text('ftypM4A '), pseudoRandomBytes(64))),
    mentions: /MP4/,
  },
  {
    name: 'an AAC ADTS stream',
    code: 'UNSUPPORTED_FORMAT',
    decode: upload(concat(Uint8Array.of(0xff, 0xf1, 0x50, 0x80), pseudoRandomBytes(64))),
    mentions: /AAC/,
  },
  {
    name: 'random bytes without any magic number',
    code: 'UNSUPPORTED_FORMAT',
    decode: upload(concat(Uint8Array.of(0x00, 0x01, 0x02), pseudoRandomBytes(4096))),
    mentions: /binary/,
  },
  {
    name: 'random bytes behind a RIFF/WAVE magic',
    code: 'CORRUPT_AUDIO',
    decode: upload(concat(text('RIFF'), pseudoRandomBytes(4), text('WAVE'), pseudoRandomBytes(5000, 7))),
  },
  { name: 'a bare RIFF magic', code: 'CORRUPT_AUDIO', decode: upload(text('RIFF')) },
  { name: 'a RIFF/WAVE header with no chunks', code: 'CORRUPT_AUDIO', decode: upload(validWav.slice(0, 12)) },
  { name: 'a WAV cut inside the fmt chunk', code: 'CORRUPT_AUDIO', decode: upload(validWav.slice(0, 30)) },
  {
    name: 'a WAV whose data chunk claims more bytes than follow',
    code: 'CORRUPT_AUDIO',
    decode: upload(validWav.slice(0, 3000)),
    mentions: /truncated/,
  },
  {
    name: 'a WAV whose fmt chunk claims 4 GB',
    code: 'CORRUPT_AUDIO',
    decode: upload(buildWav({ data: int16Samples(tone(3)), declaredFmtSize: 0xfffffff0 })),
  },
  {
    name: 'a WAV with a 0 Hz sample rate',
    code: 'BAD_SAMPLE_RATE',
    decode: upload(buildWav({ sampleRate: 0, data: int16Samples(tone(3)) })),
  },
  {
    name: 'a WAV at 100 Hz',
    code: 'BAD_SAMPLE_RATE',
    decode: upload(buildWav({ sampleRate: 100, data: int16Samples(tone(3)) })),
  },
  {
    name: 'a WAV at 4 GHz',
    code: 'BAD_SAMPLE_RATE',
    decode: upload(buildWav({ sampleRate: 0xffffffff, data: int16Samples(tone(3)) })),
  },
  {
    name: 'a WAV declaring 65535 channels',
    code: 'CORRUPT_AUDIO',
    decode: upload(buildWav({ channels: 65_535, blockAlign: 2, data: int16Samples(tone(3)) })),
  },
  {
    name: 'a WAV declaring 0 channels',
    code: 'CORRUPT_AUDIO',
    decode: upload(buildWav({ channels: 0, blockAlign: 2, data: int16Samples(tone(3)) })),
  },
  {
    name: 'a WAV with 12-bit samples',
    code: 'CORRUPT_AUDIO',
    decode: upload(buildWav({ bitsPerSample: 12, blockAlign: 2, data: int16Samples(tone(3)) })),
  },
  {
    name: 'a WAV whose block align contradicts its format',
    code: 'CORRUPT_AUDIO',
    decode: upload(buildWav({ blockAlign: 7, data: int16Samples(tone(3)) })),
  },
  {
    name: 'a WAV with the data chunk before the fmt chunk',
    code: 'CORRUPT_AUDIO',
    decode: upload(buildWav({ dataBeforeFmt: true, data: int16Samples(tone(3)) })),
  },
  {
    name: 'a WAV holding MP3 data (codec 0x55)',
    code: 'UNSUPPORTED_FORMAT',
    decode: upload(buildWav({ formatTag: 0x55, data: int16Samples(tone(3)) })),
    mentions: /MP3/,
  },
  {
    name: 'a WAV with a header and no samples',
    code: 'TOO_SHORT',
    decode: upload(buildWav({ data: new Uint8Array(0) })),
  },
  { name: 'a 1-s WAV', code: 'TOO_SHORT', decode: upload(buildWav({ data: int16Samples(tone(1)) })) },
  {
    name: 'a 10-minute WAV of digital silence',
    code: 'SILENT',
    decode: upload(buildWav({ data: new Uint8Array(600 * 2000 * 2) })),
  },
  {
    name: 'a 200 MB WAV upload (19.8 min at 44.1 kHz stereo), rejected from its header',
    code: 'TOO_LONG',
    decode: upload(buildWav({ sampleRate: 44_100, channels: 2, data: new Uint8Array(200 * 1024 * 1024) })),
  },
  {
    name: 'an upload above the byte limit',
    code: 'FILE_TOO_LARGE',
    decode: upload(validWav, { maxBytes: 1000 }),
  },
  {
    name: 'a float WAV containing NaN',
    code: 'INVALID_SAMPLES',
    decode: upload(
      buildWav({
        formatTag: 3,
        bitsPerSample: 32,
        data: float32Samples([...tone(3).slice(0, 5000), NaN, ...tone(1)]),
      }),
    ),
  },
  {
    name: 'a float WAV containing infinity',
    code: 'INVALID_SAMPLES',
    decode: upload(
      buildWav({ formatTag: 3, bitsPerSample: 32, data: float32Samples([Infinity, ...tone(3)]) }),
    ),
  },
  { name: 'a bare FLAC magic', code: 'CORRUPT_AUDIO', decode: upload(text('fLaC')) },
  { name: 'a FLAC whose STREAMINFO says 0 Hz', code: 'BAD_SAMPLE_RATE', decode: upload(flacWithRate(0)) },
  {
    name: 'a FLAC whose STREAMINFO announces 20 minutes',
    code: 'TOO_LONG',
    decode: upload(flacWithTotalSamples(20 * 60 * 2000)),
  },
  {
    name: 'a FLAC cut in half',
    code: 'CORRUPT_AUDIO',
    decode: upload(realFlac.slice(0, realFlac.length >> 1)),
    mentions: /truncated/,
  },
  {
    name: 'a FLAC magic followed by random bytes',
    code: 'CORRUPT_AUDIO',
    decode: upload(concat(text('fLaC'), pseudoRandomBytes(8000, 3))),
  },
  {
    name: 'an Ogg magic followed by random bytes',
    code: 'CORRUPT_AUDIO',
    decode: upload(concat(text('OggS'), pseudoRandomBytes(8000, 5))),
  },
  {
    name: 'an ID3 tag followed by zeros',
    code: 'CORRUPT_AUDIO',
    decode: upload(concat(text('ID3'), Uint8Array.of(3, 0, 0, 0, 0, 0, 10), new Uint8Array(20_000))),
  },
  {
    name: 'a WFDB header uploaded without its .dat',
    code: 'UNSUPPORTED_FORMAT',
    decode: upload(text(wfdbHeader('rec 1 1000 3000'))),
    mentions: /\.dat/,
  },
  {
    name: 'a WFDB header declaring 2^31 signals',
    code: 'CORRUPT_AUDIO',
    decode: wfdb(wfdbHeader('rec 2147483648 1000 3000'), new Uint8Array(6000)),
  },
  {
    name: 'a WFDB header at 0 Hz',
    code: 'BAD_SAMPLE_RATE',
    decode: wfdb(wfdbHeader('rec 1 0 3000'), new Uint8Array(6000)),
  },
  {
    name: 'a WFDB record whose .dat is truncated',
    code: 'CORRUPT_AUDIO',
    decode: wfdb(wfdbHeader('rec 1 1000 3000'), new Uint8Array(100)),
  },
  {
    name: 'a WFDB record in format 212',
    code: 'UNSUPPORTED_FORMAT',
    decode: wfdb(wfdbHeader('rec 1 1000 3000', 'rec.dat 212 200 12 0 0 0 0 ECG'), new Uint8Array(4500)),
  },
  {
    name: 'a WFDB header announcing a day of samples',
    code: 'TOO_LONG',
    decode: wfdb(wfdbHeader('rec 1 2000 172800000'), new Uint8Array(10)),
  },
];

describe('hostile and malformed uploads', () => {
  it('has at least 30 cases', () => expect(corpus.length).toBeGreaterThanOrEqual(30));

  it.each(corpus.map((entry) => [entry.name, entry] as const))(
    '%s is rejected with its typed error in under 1 s',
    async (_name, entry) => {
      const started = performance.now();
      const error = await entry.decode().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      const elapsedMs = performance.now() - started;
      expect(error).toBeInstanceOf(AudioError);
      const audioError = error as AudioError;
      expect({ code: audioError.code, message: audioError.message }).toMatchObject({ code: entry.code });
      if (entry.mentions) expect(audioError.message).toMatch(entry.mentions);
      expect(audioError.message.length).toBeGreaterThan(30);
      expect(elapsedMs).toBeLessThan(1000);
    },
  );
});

describe('tolerated quirks', () => {
  it('reads a WAV whose RIFF and data sizes are streaming placeholders (0xFFFFFFFF)', async () => {
    const bytes = buildWav({ data: int16Samples(tone(3)), declaredDataSize: 0xffffffff });
    new DataView(bytes.buffer).setUint32(4, 0xffffffff, true);
    const decoded = await decodeAudio(bytes);
    expect(decoded.durationSec).toBe(3);
  });

  it('reads a WAV with an odd-sized LIST chunk before the data', async () => {
    const decoded = await decodeAudio(
      buildWav({ data: int16Samples(tone(3)), chunksBeforeData: [{ id: 'LIST', body: text('INFOISFTx') }] }),
    );
    expect(decoded.samples.length).toBe(6000);
  });

  it('reports unknown files by what they are, in a sentence that says what to do', async () => {
    const error = await decodeAudio(text('%PDF-1.4')).catch((caught: unknown) => caught);
    expect((error as AudioError).message).toMatch(
      /^Unsupported audio format: expected WAV, FLAC, MP3, OGG.*got a PDF document\. /,
    );
  });
});
