import { describe, expect, it } from 'vitest';
import { detectFormat } from './detect-format';

const bytes = (...parts: (string | number[])[]): Uint8Array =>
  Uint8Array.from(
    parts.flatMap((part) => (typeof part === 'string' ? [...part].map((c) => c.charCodeAt(0)) : part)),
  );

describe('detectFormat', () => {
  it.each([
    ['wav', bytes('RIFF', [0, 0, 0, 0], 'WAVE')],
    ['flac', bytes('fLaC', [0, 0, 0, 34])],
    ['mp3', bytes('ID3', [3, 0])],
    ['mp3', bytes([0xff, 0xfb, 0x90, 0x00])],
    ['ogg', bytes('OggS', new Array(22).fill(0), [1], [30], [1], 'vorbis')],
    ['opus', bytes('OggS', new Array(22).fill(0), [1], [19], 'OpusHead')],
  ])('recognises %s from its magic number', (format, input) => {
    expect(detectFormat(input)).toMatchObject({ supported: true, format });
  });

  it('recognises a WFDB header from its record line', () => {
    expect(detectFormat(bytes('a0001 1 2000 71332\na0001.dat 16 1000 16 0 0 0 0 PCG\n'))).toMatchObject({
      supported: true,
      format: 'wfdb',
    });
  });

  it.each([
    ['PNG', bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a])],
    ['JPEG', bytes([0xff, 0xd8, 0xff, 0xe1])],
    ['PDF', bytes('%PDF-1.5')],
    ['ZIP', bytes([0x50, 0x4b, 0x03, 0x04])],
    ['AIFF', bytes('FORM', [0, 0, 0, 0], 'AIFF')],
    ['WebM', bytes([0x1a, 0x45, 0xdf, 0xa3])],
    ['text', bytes('hello, this is not audio')],
  ])('names a %s file instead of guessing', (name, input) => {
    const detected = detectFormat(input);
    expect(detected.supported).toBe(false);
    if (!detected.supported) expect(detected.description).toContain(name);
  });

  // ID3v2 header: "ID3", version 4.0, flags (0x10: a 10-byte footer follows the tag), syncsafe size.
  const id3v2 = (size: number[], flags = 0): number[] => [0x49, 0x44, 0x33, 4, 0, flags, ...size];

  it('recognises native FLAC after an ID3v2 tag and says where its stream starts', () => {
    expect(detectFormat(bytes(id3v2([0, 0, 1, 0]), new Array(128).fill(0), 'fLaC', [0]))).toEqual({
      supported: true,
      format: 'flac',
      streamOffset: 10 + 128,
    });
  });

  it('counts the footer of an ID3v2 tag that has one', () => {
    const tag = bytes(id3v2([0, 0, 0, 5], 0x10), [0, 0, 0, 0, 0], '3DI', [4, 0, 0x10, 0, 0, 0, 5]);
    expect(detectFormat(bytes([...tag], 'fLaC', [0]))).toMatchObject({ format: 'flac', streamOffset: 25 });
  });

  it('keeps MP3 after an ID3v2 tag as MP3', () => {
    expect(detectFormat(bytes(id3v2([0, 0, 0, 4]), [0, 0, 0, 0], [0xff, 0xfb, 0x90, 0x00]))).toEqual({
      supported: true,
      format: 'mp3',
    });
  });

  it.each([
    ['a size past the end of the bytes', bytes(id3v2([0x7f, 0x7f, 0x7f, 0x7f]))],
    ['a size byte with its top bit set', bytes(id3v2([0, 0, 0, 0x80]), new Array(128).fill(0), 'fLaC')],
    ['a header cut short', bytes('ID3', [4, 0, 0, 0])],
  ])('leaves an ID3v2 tag with %s to the MP3 decoder', (_name, input) => {
    expect(detectFormat(input)).toEqual({ supported: true, format: 'mp3' });
  });
});
