// Our FLAC decoder (src/decode/wasm/flac-to-mono.c) against libFLAC (@audio/decode-flac + mixToMono,
// the path it replaces): bit-identical float32 samples on real recordings, on files from two encoders
// and on files built here with every subframe type, residual coding and stereo mode; and on damaged
// files it either gives libFLAC's samples or declines (the caller then decodes the old way). 12- and
// 20-bit files, which libFLAC's wrapper scales to infinity, are checked against samples computed here.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio } from '@heartbeat/audio';
import { decodeFlacToMono } from '../src/decode/flac-to-mono';
import { buildFlac, type FlacSpec, type StereoMode, type SubframeSpec } from './flac-builder';
import { referenceDecodeFlac } from './reference/flac-decode';

const ROOT = join(__dirname, '..', '..', '..');

function totalFrames(bytes: Uint8Array): number {
  return (
    (bytes[21] & 0x0f) * 2 ** 32 +
    ((bytes[22] << 24) >>> 0) +
    (bytes[23] << 16) +
    (bytes[24] << 8) +
    bytes[25]
  );
}

/** Bit-for-bit equality of two float32 arrays (the index of the first difference, or -1). */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

async function expectSameAsLibFlac(bytes: Uint8Array): Promise<Float32Array> {
  const ours = decodeFlacToMono(bytes, totalFrames(bytes));
  expect(ours, 'our decoder declined the file').toBeDefined();
  const reference = await referenceDecodeFlac(bytes);
  expect(reference).toBeDefined();
  expect(ours!.sampleRate).toBe(reference!.sampleRate);
  expect(ours!.channels).toBe(reference!.channels);
  expect(firstDifference(ours!.samples, reference!.samples)).toBe(-1);
  expect(ours!.peak).toBe(reference!.samples.reduce((peak, value) => Math.max(peak, Math.abs(value)), 0));
  return ours!.samples;
}

/** What libFLAC's scale and mixToMono make of integer samples. */
function expectedMono(channels: readonly Int32Array[], bitsPerSample: number): Float32Array {
  const fullScale = Math.fround(2 ** (bitsPerSample - 1) - 1);
  return Float32Array.from({ length: channels[0].length }, (_, i) => {
    let sum = 0;
    for (const channel of channels) sum = Math.fround(sum + Math.fround(channel[i] / fullScale));
    return channels.length > 1 ? Math.fround(sum * (1 / channels.length)) : sum;
  });
}

/** A tone with noise, deterministic, using most of the range of `bits`-bit samples in steps of 2^wasted. */
function integerSignal(length: number, bits: number, seed: number, wasted = 0): Int32Array {
  let state = seed;
  const amplitude = 2 ** (bits - 1) * 0.6;
  return Int32Array.from({ length }, (_, i) => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const noise = state / 2 ** 31 - 0.5;
    const value = amplitude * (0.8 * Math.sin((2 * Math.PI * i * (60 + seed)) / 2000) + 0.2 * noise);
    return Math.round(value / 2 ** wasted) * 2 ** wasted;
  });
}

const BLOCK_SIZES = [4096, 576, 1152, 192, 4608, 37];
const SAMPLES = BLOCK_SIZES.reduce((sum, size) => sum + size, 0);

/** The largest partition order up to `wanted` that divides the block and leaves room for the warm-up. */
function partitionOrderFor(blockSize: number, order: number, wanted: number): number {
  let partitionOrder = wanted;
  while (partitionOrder > 0 && (blockSize % 2 ** partitionOrder !== 0 || blockSize >> partitionOrder < order))
    partitionOrder--;
  return partitionOrder;
}

function fileOf(
  subframe: (frame: number, channel: number, blockSize: number) => SubframeSpec,
  options: Partial<FlacSpec> & { bits?: number; channelCount?: number; wasted?: number } = {},
): { bytes: Uint8Array; expected: Float32Array } {
  const bits = options.bits ?? 16;
  const blockSizes = options.blockSizes ?? BLOCK_SIZES;
  const length = blockSizes.reduce((sum, size) => sum + size, 0);
  const channels =
    options.channels ??
    Array.from({ length: options.channelCount ?? 1 }, (_, c) =>
      integerSignal(length, bits, 7 + c, options.wasted),
    );
  const spec: FlacSpec = {
    sampleRate: 2000,
    bitsPerSample: bits,
    ...options,
    channels,
    blockSizes,
    subframe: (frame, channel) => subframe(frame, channel, blockSizes[frame]),
  };
  return { bytes: buildFlac(spec), expected: expectedMono(channels, bits) };
}

/** FIXED subframes of orders 0-4 in turn, with Rice partitions of orders 0-3. */
function fixedSubframes(frame: number, _channel: number, blockSize: number): SubframeSpec {
  const order = (frame % 5) as 0 | 1 | 2 | 3 | 4;
  return {
    type: 'fixed',
    order,
    residual: { partitionOrder: partitionOrderFor(blockSize, order, frame % 4) },
  };
}

const LPC_PREDICTORS: readonly { coefficients: number[]; precision: number; shift: number }[] = [
  { coefficients: [3900], precision: 13, shift: 12 },
  { coefficients: [2 * 4096, -4096], precision: 15, shift: 12 },
  { coefficients: [7000, -4200, 1300, -200, 60, -20, 8, -3], precision: 15, shift: 12 },
  {
    coefficients: Array.from({ length: 32 }, (_, j) => (j === 0 ? 16_000 : (-1) ** j * (200 - 6 * j))),
    precision: 15,
    shift: 14,
  },
  { coefficients: [1, 0, 0], precision: 2, shift: 0 },
  { coefficients: [30, -15], precision: 6, shift: 4 },
];

/** LPC subframes of orders 1 to 32 in turn, with Rice and Rice2 parameters. */
function lpcSubframes(frame: number, _channel: number, blockSize: number): SubframeSpec {
  const predictor = LPC_PREDICTORS[frame % LPC_PREDICTORS.length];
  const order = predictor.coefficients.length;
  return {
    type: 'lpc',
    ...predictor,
    residual: { method: (frame % 2) as 0 | 1, partitionOrder: partitionOrderFor(blockSize, order, 2) },
  };
}

const WASTED_BIT_SUBFRAMES: readonly SubframeSpec[] = [
  { type: 'verbatim', wastedBits: 3 },
  { type: 'fixed', order: 2, wastedBits: 3 },
  { type: 'lpc', coefficients: [2 * 4096, -4096], precision: 15, shift: 12, wastedBits: 3 },
  { type: 'fixed', order: 1, wastedBits: 1 },
];

/** Subframes with 3 or 1 wasted bits (the samples must be multiples of 8). */
function wastedBitSubframes(frame: number): SubframeSpec {
  return WASTED_BIT_SUBFRAMES[frame % WASTED_BIT_SUBFRAMES.length];
}

const STEREO_MODES: readonly StereoMode[] = ['independent', 'left-side', 'right-side', 'mid-side'];

/** Two channels coded `mode`, in FIXED and VERBATIM (with wasted bits) frames in turn. */
function stereoFile(bits: number, mode: StereoMode): { bytes: Uint8Array; expected: Float32Array } {
  return fileOf(
    (frame, channel) =>
      frame % 2 === 0
        ? { type: 'fixed', order: 2, residual: { method: bits > 16 ? 1 : 0 } }
        : { type: 'verbatim', wastedBits: channel },
    { bits, channelCount: 2, stereo: () => mode, wasted: 1 },
  );
}

describe('our FLAC decoder gives libFLAC’s samples bit for bit', () => {
  it('on the recordings in the fixtures and samples', async () => {
    const files = [
      ...['a0238.flac', 'b0225.flac', 'e01440.flac'].map((name) => join(__dirname, 'fixtures', name)),
      ...readdirSync(join(ROOT, 'samples'), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .flatMap((entry) =>
          readdirSync(join(ROOT, 'samples', entry.name))
            .filter((name) => name.endsWith('.flac'))
            .map((name) => join(ROOT, 'samples', entry.name, name)),
        ),
    ];
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) await expectSameAsLibFlac(new Uint8Array(readFileSync(file)));
  });

  it('on FIXED subframes of orders 0-4 with Rice partitions of orders 0-3', async () => {
    const { bytes, expected } = fileOf(fixedSubframes);
    expect(firstDifference(await expectSameAsLibFlac(bytes), expected)).toBe(-1);
  });

  it('on LPC subframes of orders 1 to 32, with Rice and Rice2 parameters', async () => {
    const { bytes, expected } = fileOf(lpcSubframes);
    expect(firstDifference(await expectSameAsLibFlac(bytes), expected)).toBe(-1);
  });

  it('on escaped partitions (raw residuals), including zero-bit ones', async () => {
    const ramp = Int32Array.from({ length: SAMPLES }, (_, i) => i - 3000);
    const zeroBits = fileOf(() => ({ type: 'fixed', order: 2, residual: { escapeBits: 0 } }), {
      channels: [ramp],
    });
    expect(firstDifference(await expectSameAsLibFlac(zeroBits.bytes), zeroBits.expected)).toBe(-1);
    const raw = fileOf((frame, _, blockSize) => ({
      type: 'fixed',
      order: 1,
      residual: {
        method: (frame % 2) as 0 | 1,
        partitionOrder: partitionOrderFor(blockSize, 1, 1),
        escapeBits: 18,
      },
    }));
    expect(firstDifference(await expectSameAsLibFlac(raw.bytes), raw.expected)).toBe(-1);
  });

  it('on CONSTANT and VERBATIM subframes', async () => {
    const steps = Int32Array.from({ length: SAMPLES }, (_, i) => (i < 4096 ? -1234 : i < 4672 ? 0 : 32_767));
    const constant = fileOf(() => ({ type: 'constant' }), {
      channels: [steps],
      blockSizes: [4096, 576, SAMPLES - 4672],
    });
    expect(firstDifference(await expectSameAsLibFlac(constant.bytes), constant.expected)).toBe(-1);
    const verbatim = fileOf(() => ({ type: 'verbatim' }));
    expect(firstDifference(await expectSameAsLibFlac(verbatim.bytes), verbatim.expected)).toBe(-1);
  });

  it('on subframes with wasted bits', async () => {
    const { bytes, expected } = fileOf(wastedBitSubframes, { wasted: 3 });
    expect(firstDifference(await expectSameAsLibFlac(bytes), expected)).toBe(-1);
  });

  for (const mode of STEREO_MODES)
    for (const bits of [8, 16, 24])
      it(`on ${bits}-bit stereo coded ${mode}`, async () => {
        const { bytes, expected } = stereoFile(bits, mode);
        expect(firstDifference(await expectSameAsLibFlac(bytes), expected)).toBe(-1);
      });

  it('on three and eight channels', async () => {
    for (const channelCount of [3, 8]) {
      const { bytes, expected } = fileOf(() => ({ type: 'fixed', order: 3 }), { channelCount });
      expect(firstDifference(await expectSameAsLibFlac(bytes), expected)).toBe(-1);
    }
  });

  it('on variable block sizes, every way of writing the sample rate and a metadata block after STREAMINFO', async () => {
    for (const sampleRate of [2000, 22_050, 44_100, 88_210]) {
      const { bytes, expected } = fileOf(() => ({ type: 'fixed', order: 1 }), {
        sampleRate,
        variableBlocking: true,
        padding: 100,
      });
      expect(firstDifference(await expectSameAsLibFlac(bytes), expected)).toBe(-1);
    }
  });

  it('and declines frames that take their sample rate and size from STREAMINFO, which libFLAC is not given', async () => {
    const { bytes } = fileOf(() => ({ type: 'fixed', order: 1 }), { formatFromStreamInfo: true });
    expect(decodeFlacToMono(bytes, totalFrames(bytes))).toBeUndefined();
    expect(await referenceDecodeFlac(bytes)).toBeUndefined();
  });

  describe('on files from encoders (sox, i.e. libFLAC, and ffmpeg)', () => {
    let directory = '';
    beforeAll(() => {
      directory = mkdtempSync(join(tmpdir(), 'flac-to-mono-'));
    });
    afterAll(() => rmSync(directory, { recursive: true, force: true }));
    const run = (command: string, args: readonly string[]) =>
      execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });

    it('at every sox compression level, mono and stereo, 16 and 24 bits', async () => {
      for (const channels of [1, 2])
        for (const bits of [16, 24])
          for (const level of [0, 2, 5, 8]) {
            const file = join(directory, `sox-${channels}-${bits}-${level}.flac`);
            run('sox', [
              '-n',
              '-r',
              '4000',
              '-c',
              `${channels}`,
              '-b',
              `${bits}`,
              '-C',
              `${level}`,
              file,
              'synth',
              '3',
              'pinknoise',
              'sine',
              '90',
              'gain',
              '-6',
            ]);
            await expectSameAsLibFlac(new Uint8Array(readFileSync(file)));
          }
    });

    it('in every ffmpeg stereo mode and prediction type', async () => {
      for (const mode of ['indep', 'left_side', 'right_side', 'mid_side'])
        for (const lpc of ['none', 'fixed', 'levinson']) {
          const file = join(directory, `ffmpeg-${mode}-${lpc}.flac`);
          run('ffmpeg', [
            '-v',
            'error',
            '-y',
            '-f',
            'lavfi',
            '-i',
            'sine=f=110:r=8000:d=2',
            '-f',
            'lavfi',
            '-i',
            'anoisesrc=r=8000:d=2:a=0.1',
            '-filter_complex',
            '[0][1]amerge=inputs=2',
            '-c:a',
            'flac',
            '-ch_mode',
            mode,
            '-lpc_type',
            lpc,
            file,
          ]);
          await expectSameAsLibFlac(new Uint8Array(readFileSync(file)));
        }
    });
  });
});

/**
 * Our decoder's samples of a 12- or 20-bit file against `expected`: libFLAC's wrapper scales only 8-, 16-
 * and 24-bit samples (these come out infinite), so there is no libFLAC to compare with.
 */
function expectDecodedAs(bytes: Uint8Array, expected: Float32Array, channels = 1): void {
  const ours = decodeFlacToMono(bytes, totalFrames(bytes));
  expect(ours, 'our decoder declined the file').toBeDefined();
  expect(ours!.sampleRate).toBe(2000);
  expect(ours!.channels).toBe(channels);
  expect(firstDifference(ours!.samples, expected)).toBe(-1);
  expect(ours!.peak).toBe(expected.reduce((peak, value) => Math.max(peak, Math.abs(value)), 0));
}

describe('our FLAC decoder decodes 12- and 20-bit samples, scaled by 2^(bits - 1) - 1 like the other sizes', () => {
  for (const bits of [12, 20]) {
    it(`on ${bits}-bit CONSTANT subframes, where full scale is exactly 1`, () => {
      const full = 2 ** (bits - 1) - 1;
      const steps = Int32Array.from({ length: SAMPLES }, (_, i) =>
        i < 4096 ? -full - 1 : i < 4672 ? 0 : full,
      );
      const { bytes, expected } = fileOf(() => ({ type: 'constant' }), {
        bits,
        channels: [steps],
        blockSizes: [4096, 576, SAMPLES - 4672],
      });
      expect([expected[0], expected[4096], expected[SAMPLES - 1]]).toEqual([
        Math.fround((-full - 1) / full),
        0,
        1,
      ]);
      expectDecodedAs(bytes, expected);
    });

    it(`on ${bits}-bit VERBATIM subframes`, () => {
      const { bytes, expected } = fileOf(() => ({ type: 'verbatim' }), { bits });
      expectDecodedAs(bytes, expected);
    });

    it(`on ${bits}-bit FIXED subframes of orders 0-4`, () => {
      const { bytes, expected } = fileOf(fixedSubframes, { bits });
      expectDecodedAs(bytes, expected);
    });

    it(`on ${bits}-bit LPC subframes of orders 1 to 32`, () => {
      const { bytes, expected } = fileOf(lpcSubframes, { bits });
      expectDecodedAs(bytes, expected);
    });

    it(`on ${bits}-bit subframes with wasted bits`, () => {
      const { bytes, expected } = fileOf(wastedBitSubframes, { bits, wasted: 3 });
      expectDecodedAs(bytes, expected);
    });

    for (const mode of STEREO_MODES)
      it(`on ${bits}-bit stereo coded ${mode}`, () => {
        const { bytes, expected } = stereoFile(bits, mode);
        expectDecodedAs(bytes, expected, 2);
      });
  }
});

describe('decodeAudio on 12- and 20-bit FLAC', () => {
  for (const bits of [12, 20])
    it(`decodes a ${bits}-bit stereo file to finite samples of its values and duration`, async () => {
      const { bytes, expected } = fileOf(lpcSubframes, { bits, channelCount: 2 });
      const decoded = await decodeAudio(bytes);
      expect(decoded).toMatchObject({
        format: 'flac',
        sampleRate: 2000,
        channels: 2,
        durationSec: SAMPLES / 2000,
      });
      expect(decoded.samples.every((value) => Number.isFinite(value))).toBe(true);
      expect(firstDifference(decoded.samples, expected)).toBe(-1);
    });

  it('decodes a 20-bit file larger than the pieces the old path is given (chunkBytes)', async () => {
    const { bytes, expected } = fileOf(fixedSubframes, { bits: 20 });
    const chunkBytes = 8192;
    expect(bytes.length).toBeGreaterThan(chunkBytes);
    const decoded = await decodeAudio(bytes, { chunkBytes });
    expect(firstDifference(decoded.samples, expected)).toBe(-1);
  });

  it('refuses one that only the old path would read, as unsupported and asking for 16 or 24 bits, not as invalid samples', async () => {
    for (const bits of [12, 20]) {
      const { bytes } = fileOf(fixedSubframes, { bits });
      const lengthUnannounced = bytes.slice(); // as a streaming encoder leaves it
      lengthUnannounced.fill(0, 22, 26);
      lengthUnannounced[21] &= 0xf0;
      expect(totalFrames(lengthUnannounced)).toBe(0);
      const announcingFewer = bytes.slice(); // than its frames hold, which our decoder declines
      new DataView(announcingFewer.buffer).setUint32(22, SAMPLES - 1);
      expect(decodeFlacToMono(announcingFewer, SAMPLES - 1)).toBeUndefined();
      for (const file of [lengthUnannounced, announcingFewer]) {
        const refusal = await decodeAudio(file).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(refusal).toMatchObject({ code: 'UNSUPPORTED_FORMAT', details: { bitsPerSample: bits } });
        expect((refusal as Error).message).toMatch(new RegExp(`${bits}-bit.*as 16- or 24-bit FLAC`));
      }
    }
  });

  it('reports a truncated 12-bit file as damaged, as it does other sizes', async () => {
    const { bytes } = fileOf(fixedSubframes, { bits: 12 });
    const truncated = bytes.subarray(0, Math.floor(bytes.length * 0.7));
    await expect(decodeAudio(truncated)).rejects.toMatchObject({ code: 'CORRUPT_AUDIO' });
  });
});

describe('on damaged files our FLAC decoder gives libFLAC’s samples or declines', () => {
  const real = new Uint8Array(readFileSync(join(__dirname, 'fixtures', 'a0238.flac')));
  const stereo = fileOf((frame) => ({ type: 'fixed', order: ((frame % 4) + 1) as 1 | 2 | 3 | 4 }), {
    channelCount: 2,
    stereo: (frame) => (['left-side', 'right-side', 'mid-side', 'independent'] as const)[frame % 4],
    padding: 20,
  }).bytes;

  async function agreesOrDeclines(damaged: Uint8Array, frames: number): Promise<boolean> {
    const ours = decodeFlacToMono(damaged, frames);
    if (!ours) return false;
    const reference = await referenceDecodeFlac(damaged);
    expect(reference).toBeDefined();
    expect(firstDifference(ours.samples, reference!.samples)).toBe(-1);
    return true;
  }

  for (const [name, original] of [
    ['a real recording', real],
    ['a built stereo file', stereo],
  ] as const) {
    it(`with single bit flips (${name})`, async () => {
      let state = 12_345;
      let accepted = 0;
      for (let trial = 0; trial < 300; trial++) {
        state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
        const bit = state % (original.length * 8);
        const damaged = original.slice();
        damaged[bit >> 3] ^= 0x80 >> (bit & 7);
        if (await agreesOrDeclines(damaged, totalFrames(original))) accepted++;
      }
      // flips in the audio frames are caught by the CRCs; those in metadata that does not matter are not
      expect(accepted).toBeLessThan(300);
    });

    it(`when cut short or followed by extra bytes (${name})`, async () => {
      for (let cut = 1; cut < 60; cut++) {
        const length = Math.floor((original.length * cut) / 60);
        expect(decodeFlacToMono(original.subarray(0, length), totalFrames(original))).toBeUndefined();
      }
      const extended = new Uint8Array(original.length + 3);
      extended.set(original);
      expect(decodeFlacToMono(extended, totalFrames(original))).toBeUndefined();
    });
  }

  it('when STREAMINFO announces more or fewer samples than the frames hold', () => {
    const frames = totalFrames(real);
    for (const announced of [frames - 1, frames + 1, frames + 5000]) {
      const edited = real.slice();
      new DataView(edited.buffer).setUint32(22, announced);
      expect(decodeFlacToMono(edited, announced)).toBeUndefined();
    }
  });

  it('and decodeAudio then reports a frame with a bad CRC as libFLAC’s path did: damaged', async () => {
    const damaged = real.slice();
    damaged[Math.floor(real.length / 2)] ^= 0x10;
    expect(decodeFlacToMono(damaged, totalFrames(damaged))).toBeUndefined();
    await expect(decodeAudio(damaged)).rejects.toMatchObject({ code: 'CORRUPT_AUDIO' });
  });
});
