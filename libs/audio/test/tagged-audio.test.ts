// Recordings that a tagger wrapped in metadata (ID3v2 in front; APEv2 and ID3v1 behind) decode to
// exactly the samples of the untagged file, and broken tags end in a typed AudioError.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AudioError, decodeAudio } from '@heartbeat/audio';
import { concat, pseudoRandomBytes, text } from './wav-builder';

const syncsafe = (size: number): Uint8Array =>
  Uint8Array.of((size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f);
const uint32le = (value: number): Uint8Array => {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
};

const TITLE_FRAME = concat(text('TIT2'), Uint8Array.of(0, 0, 0, 6, 0, 0, 3), text('a0238'));
/** An ID3v2.4 tag holding a title and some padding; `footer` repeats the header at its end. */
const id3v2Tag = ({ footer = false } = {}): Uint8Array => {
  const body = concat(TITLE_FRAME, new Uint8Array(30));
  const header = (magic: string) =>
    concat(text(magic), Uint8Array.of(4, 0, footer ? 0x10 : 0), syncsafe(body.length));
  return footer ? concat(header('ID3'), body, header('3DI')) : concat(header('ID3'), body);
};
const id3v1Tag = (): Uint8Array => {
  const tag = new Uint8Array(128);
  tag.set(text('TAGa0238 title'));
  tag[127] = 255; // genre: none
  return tag;
};
/** An APEv2 tag with one item, with its optional header (flag bit 31) when `header` is set. */
const apeTag = ({ header = true } = {}): Uint8Array => {
  const item = concat(uint32le(5), uint32le(0), text('Title\0'), text('a0238'));
  const block = (flags: number) =>
    concat(
      text('APETAGEX'),
      uint32le(2000),
      uint32le(item.length + 32),
      uint32le(1),
      uint32le(flags >>> 0),
      new Uint8Array(8),
    );
  const footer = block(header ? 0x8000_0000 : 0);
  return header ? concat(block(0xa000_0000), item, footer) : concat(item, footer);
};

const flac = new Uint8Array(readFileSync(join(__dirname, 'fixtures', 'a0238.flac')));
// Below the file's size, so it goes through the chunked decoder instead of the one-call ones.
const CHUNKED = { chunkBytes: 4096 };

describe('a FLAC file with tags around it', () => {
  let untagged: Float32Array;
  beforeAll(async () => {
    untagged = (await decodeAudio(flac)).samples;
  });

  it.each([
    ['an ID3v1 tag appended', concat(flac, id3v1Tag())],
    ['an APEv2 tag appended', concat(flac, apeTag())],
    ['an APEv2 tag without its header appended', concat(flac, apeTag({ header: false }))],
    ['an APEv2 and an ID3v1 tag appended', concat(flac, apeTag(), id3v1Tag())],
    ['an ID3v2 tag prepended', concat(id3v2Tag(), flac)],
    ['an ID3v2 tag with a footer prepended', concat(id3v2Tag({ footer: true }), flac)],
    ['ID3v2 in front and ID3v1 behind', concat(id3v2Tag(), flac, id3v1Tag())],
  ])('decodes with %s to the samples of the untagged file', async (_name, tagged) => {
    for (const options of [{}, CHUNKED]) {
      const decoded = await decodeAudio(tagged, options);
      expect(decoded.format).toBe('flac');
      expect(decoded.samples).toEqual(untagged);
    }
  });

  it('still refuses other bytes after the last frame as damage', async () => {
    const error = await decodeAudio(concat(flac, pseudoRandomBytes(128, 7))).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AudioError);
    expect((error as AudioError).code).toBe('CORRUPT_AUDIO');
  });

  it('refuses an ID3v2 tag whose size runs past the end of the file, saying so', async () => {
    const tag = concat(text('ID3'), Uint8Array.of(4, 0, 0), syncsafe(10 * flac.length));
    const error = await decodeAudio(concat(tag, flac)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AudioError);
    expect((error as AudioError).code).toBe('CORRUPT_AUDIO');
    expect((error as AudioError).message).toMatch(/ID3 tag announces \d+ bytes/);
  });

  it.each([
    ['the whole file', flac.length + 100],
    ['fewer bytes than its own footer', 8],
    ['2^32 - 1 bytes', 0xffff_ffff],
  ])('refuses a FLAC file whose APEv2 footer claims %s with a typed error', async (_name, size) => {
    const footer = concat(
      text('APETAGEX'),
      uint32le(2000),
      uint32le(size),
      uint32le(0),
      uint32le(0),
      new Uint8Array(8),
    );
    const error = await decodeAudio(concat(flac, footer)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AudioError);
    expect((error as AudioError).code).toBe('CORRUPT_AUDIO');
  });
});

describe('an MP3 file with an ID3v2 tag in front', () => {
  let dir: string;
  let mp3: Uint8Array;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hb-tagged-mp3-'));
    const path = join(dir, 'tone.mp3');
    execFileSync(
      'ffmpeg',
      [
        ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=120:duration=3'],
        ...[
          '-ar',
          '8000',
          '-c:a',
          'libmp3lame',
          '-b:a',
          '32k',
          '-id3v2_version',
          '0',
          '-write_xing',
          '0',
          path,
        ],
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    mp3 = new Uint8Array(readFileSync(path));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is still decoded as MP3, to the samples of the untagged file', async () => {
    expect(String.fromCharCode(...mp3.subarray(0, 3))).not.toBe('ID3');
    const untagged = await decodeAudio(mp3);
    const tagged = await decodeAudio(concat(id3v2Tag(), mp3));
    expect(tagged.format).toBe('mp3');
    expect(tagged.samples).toEqual(untagged.samples);
  });
});
