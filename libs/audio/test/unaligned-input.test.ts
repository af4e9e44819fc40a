// Bytes that arrive as a view at an odd offset into a larger buffer (a Redis reply, a Node pooled
// Buffer, a multipart chunk) must decode exactly as the same bytes in a buffer of their own. Node
// Buffers matter most: their slice() is a view, so a decoder that copies with slice() to align
// samples gets the same odd offset back.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeAudio } from '@heartbeat/audio';
import { buildWav, float32Samples, int16Samples } from './wav-builder';

const tone = (seconds: number, rate: number): Float32Array =>
  Float32Array.from({ length: seconds * rate }, (_, n) => 0.5 * Math.sin((2 * Math.PI * 90 * n) / rate));

/** The same bytes, as a view that starts `offset` bytes into a larger buffer. */
function atOffset(bytes: Uint8Array, offset: number, kind: 'Uint8Array' | 'Buffer'): Uint8Array {
  const host =
    kind === 'Buffer' ? Buffer.alloc(bytes.length + offset + 3) : new Uint8Array(bytes.length + offset + 3);
  host.set(bytes, offset);
  return host.subarray(offset, offset + bytes.length);
}

const inputs: [string, Uint8Array][] = [
  ['a 2.5-s 16-bit WAV sampled at 800 Hz', buildWav({ sampleRate: 800, data: int16Samples(tone(2.5, 800)) })],
  [
    'a 2.5-s 16-bit WAV sampled at 4 kHz',
    buildWav({ sampleRate: 4000, data: int16Samples(tone(2.5, 4000)) }),
  ],
  [
    'a 3-s 32-bit float WAV',
    buildWav({ formatTag: 3, bitsPerSample: 32, data: float32Samples(tone(3, 2000)) }),
  ],
  ['a real FLAC recording', new Uint8Array(readFileSync(join(__dirname, 'fixtures', 'a0238.flac')))],
];

describe('decodeAudio on a view at an unaligned offset', () => {
  for (const [name, bytes] of inputs) {
    for (const [offset, kind] of [
      [1, 'Uint8Array'],
      [1, 'Buffer'],
      [2, 'Buffer'],
      [3, 'Buffer'],
    ] as const) {
      it(`decodes ${name} in a ${kind} at byte offset ${offset} as it decodes the bytes alone`, async () => {
        const reference = await decodeAudio(bytes.slice());
        const shifted = await decodeAudio(atOffset(bytes, offset, kind));
        expect(shifted.sampleRate).toBe(reference.sampleRate);
        expect(shifted.samples).toEqual(reference.samples);
      });
    }
  }

  it('answers TOO_SHORT, not a decoder error, for a 0.5-s WAV at an odd offset', async () => {
    const short = buildWav({ data: int16Samples(tone(0.5, 2000)) });
    await expect(decodeAudio(atOffset(short, 1, 'Buffer'))).rejects.toMatchObject({ code: 'TOO_SHORT' });
  });
});
