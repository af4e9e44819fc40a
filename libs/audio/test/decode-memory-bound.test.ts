// Decompression bombs: a few hundred kilobytes that decode to hours. Decoding must stop at the
// duration limit (plus at most a bounded piece) instead of decoding everything and then refusing it.
// The FLAC fixture is `sox -D -n -r 8000 -c 1 -b 16 x.flac trim 0 7200` (two hours of digital
// silence, 180 KB) with STREAMINFO's total-samples field zeroed, as a streaming encoder leaves it, so
// the header cannot refuse it; MP3 and Opus bombs are made here with ffmpeg.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AudioError, decodeAudio } from '@heartbeat/audio';
import { MAX_FRAMES_PER_DECODE_CALL } from '../src/decode/codec-stream';
import { flacFrameHeaders, flacPieces } from '../src/decode/flac-frames';

const BOMB = join(__dirname, 'fixtures', 'silence-2h-8khz-length-unannounced.flac');
const bomb = new Uint8Array(readFileSync(BOMB));
const REPO_ROOT = join(__dirname, '..', '..', '..');

async function refusal(bytes: Uint8Array, maxDurationSec?: number): Promise<AudioError> {
  const error = await decodeAudio(bytes, maxDurationSec ? { maxDurationSec } : {}).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AudioError);
  return error as AudioError;
}

/** Samples per channel decoded past the limit before decoding stopped. */
function framesPastLimit(error: AudioError, sampleRate: number): number {
  const { durationSec, maxSec } = error.details as { durationSec: number; maxSec: number };
  return Math.round((durationSec - maxSec) * sampleRate);
}

describe('FLAC frame pieces', () => {
  it('join back into the original bytes and each announces at most the sample budget', () => {
    const budget = 100_000;
    const pieces = [...flacPieces(bomb, budget, 64 * 1024)];
    expect(Buffer.concat(pieces).equals(Buffer.from(bomb))).toBe(true);
    for (const piece of pieces.slice(1)) {
      // every piece after the first (which holds the metadata) starts on a frame header
      const announced = [...flacFrameHeaders(piece)].reduce((sum, header) => sum + header.samples, 0);
      expect(announced).toBeLessThanOrEqual(budget);
    }
    expect(pieces.length).toBeGreaterThan((7200 * 8000) / budget - 1);
  });

  it('count the two hours the frame headers of the bomb announce', () => {
    const total = [...flacFrameHeaders(bomb)].reduce((sum, header) => sum + header.samples, 0);
    expect(total).toBe(7200 * 8000);
  });
});

describe('decoding stops at the duration limit', () => {
  it('refuses a 2-hour FLAC of unannounced length after decoding at most one piece past 600 s', async () => {
    const error = await refusal(bomb);
    expect(error.code).toBe('TOO_LONG');
    expect(framesPastLimit(error, 8000)).toBeLessThanOrEqual(2 * MAX_FRAMES_PER_DECODE_CALL);
  });

  it('stops as soon as a lower limit is passed', async () => {
    const error = await refusal(bomb, 30);
    expect(error.code).toBe('TOO_LONG');
    expect(framesPastLimit(error, 8000)).toBeLessThanOrEqual(2 * MAX_FRAMES_PER_DECODE_CALL);
  });

  describe('for MP3 and Opus', () => {
    let directory = '';
    const silence = (
      name: string,
      rate: number,
      seconds: number,
      codecArgs: readonly string[],
    ): Uint8Array => {
      const file = join(directory, name);
      execFileSync('ffmpeg', [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        `anullsrc=r=${rate}:cl=mono`,
        '-t',
        String(seconds),
        ...codecArgs,
        file,
      ]);
      return new Uint8Array(readFileSync(file));
    };
    beforeAll(() => {
      directory = mkdtempSync(join(tmpdir(), 'decode-bomb-'));
    });
    afterAll(() => rmSync(directory, { recursive: true, force: true }));

    it.each([
      // long enough that decoding everything lands well past the limit plus two pieces
      ['MP3', 'silence.mp3', 8000, 600, ['-c:a', 'libmp3lame', '-b:a', '8k']],
      ['Opus', 'silence.opus', 48000, 180, ['-c:a', 'libopus', '-b:a', '6k']],
    ] as const)(
      'refuses %s silence of %d Hz for %d s after at most one piece past 10 s',
      async (_codec, name, rate, seconds, args) => {
        const bytes = silence(name, rate, seconds, args);
        const error = await refusal(bytes, 10);
        expect(error.code).toBe('TOO_LONG');
        expect(framesPastLimit(error, rate)).toBeLessThanOrEqual(2 * MAX_FRAMES_PER_DECODE_CALL);
      },
    );
  });

  it('keeps the peak resident memory of a fresh process within 80 MB while refusing the FLAC bomb', () => {
    // maxRSS is the kernel's high-water mark, so no sampling can miss the peak. Decoding all two
    // hours held 230 MB of samples alone; the limit's 600 s at 8 kHz is 19 MB.
    const script = `
      const { readFileSync } = require('node:fs');
      const { decodeAudio } = require('@heartbeat/audio');
      (async () => {
        const fixtures = ${JSON.stringify(join(__dirname, 'fixtures'))};
        await decodeAudio(new Uint8Array(readFileSync(fixtures + '/a0238.flac')));
        global.gc();
        const before = process.resourceUsage().maxRSS;
        const code = await decodeAudio(new Uint8Array(readFileSync(${JSON.stringify(BOMB)}))).then(() => 'accepted', (e) => e.code);
        console.log(JSON.stringify({ code, growthKb: process.resourceUsage().maxRSS - before }));
      })();`;
    const output = execFileSync(process.execPath, ['--expose-gc', '-r', '@swc-node/register', '-e', script], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    const { code, growthKb } = JSON.parse(output.trim().split('\n').pop()!) as {
      code: string;
      growthKb: number;
    };
    expect(code).toBe('TOO_LONG');
    console.log(`peak RSS growth refusing the 2-h FLAC bomb: ${(growthKb / 1024).toFixed(0)} MB`);
    expect(growthKb / 1024).toBeLessThan(80);
  });
});
