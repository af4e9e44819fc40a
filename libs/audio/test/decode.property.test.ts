// Property-based tests (fast-check): whatever bytes arrive, the decoders either return audio that
// is within the limits and finite, or refuse with a typed AudioError; never another exception.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AudioError,
  decodeAudio,
  decodeWfdbRecord,
  DEFAULT_DECODE_LIMITS,
  type DecodedAudio,
} from '@heartbeat/audio';
import { buildWav, int16Samples } from './wav-builder';

const validWav = buildWav({
  data: int16Samples(Float32Array.from({ length: 6000 }, (_, n) => 0.4 * Math.sin(n / 3))),
});
const RUNS = { numRuns: 150, seed: 2027 };

function wellFormed(audio: DecodedAudio): void {
  expect(audio.sampleRate).toBeGreaterThanOrEqual(DEFAULT_DECODE_LIMITS.minSampleRate);
  expect(audio.sampleRate).toBeLessThanOrEqual(DEFAULT_DECODE_LIMITS.maxSampleRate);
  const seconds = audio.samples.length / audio.sampleRate;
  expect(seconds).toBeGreaterThanOrEqual(DEFAULT_DECODE_LIMITS.minDurationSec);
  expect(seconds).toBeLessThanOrEqual(DEFAULT_DECODE_LIMITS.maxDurationSec);
  expect(audio.samples.every(Number.isFinite)).toBe(true);
}

async function refusedOrWellFormed(decode: () => Promise<DecodedAudio> | DecodedAudio): Promise<void> {
  let audio: DecodedAudio;
  try {
    audio = await decode();
  } catch (error) {
    expect(error).toBeInstanceOf(AudioError);
    return;
  }
  wellFormed(audio);
}

describe('decoders under arbitrary input', () => {
  it('answer any byte string with audio or an AudioError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), (bytes) =>
        refusedOrWellFormed(() => decodeAudio(bytes)),
      ),
      RUNS,
    );
  });

  it('answer a WAV with any of its header bytes changed, or cut anywhere, with audio or an AudioError', async () => {
    const edits = fc.array(fc.tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 255 })), {
      maxLength: 6,
    });
    await fc.assert(
      fc.asyncProperty(edits, fc.integer({ min: 1, max: validWav.length }), (changes, length) => {
        const bytes = validWav.slice(0, length);
        for (const [offset, value] of changes) if (offset < bytes.length) bytes[offset] = value;
        return refusedOrWellFormed(() => decodeAudio(bytes));
      }),
      RUNS,
    );
  });

  it('answer any WFDB header text and signal bytes with audio or an AudioError', async () => {
    const field = fc.oneof(
      fc.integer({ min: -5, max: 100_000 }).map(String),
      fc.constantFrom('2000', '1e400', 'NaN', '', '4000/1', '-1', '0'),
      fc.string({ maxLength: 8 }),
    );
    const header = fc
      .tuple(field, field, field, fc.constantFrom('16', '212', '80', '999', 'x'), field)
      .map(
        ([signals, rate, samples, format, gain]) =>
          `rec ${signals} ${rate} ${samples}\nrec.dat ${format} ${gain} 16 0 0 0 0 PCG\n`,
      );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(header, fc.string({ maxLength: 200 })),
        fc.uint8Array({ maxLength: 20_000 }),
        (text, dat) => refusedOrWellFormed(() => decodeWfdbRecord(text, dat)),
      ),
      RUNS,
    );
  });
});
