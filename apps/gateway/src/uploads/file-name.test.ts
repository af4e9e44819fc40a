import { describe, expect, it } from 'vitest';
import { MAX_FILE_NAME_LENGTH, normaliseFileName } from './file-name';

describe('normaliseFileName', () => {
  it('keeps an ordinary name as it is', () => {
    expect(normaliseFileName('a0001.flac', 'file-1')).toBe('a0001.flac');
  });

  it('keeps accented and non-Latin names (UTF-8) intact', () => {
    expect(normaliseFileName('Herzton-Müller-心音.wav', 'file-1')).toBe('Herzton-Müller-心音.wav');
  });

  it('drops directories, including Windows ones', () => {
    expect(normaliseFileName('../../etc/passwd', 'file-1')).toBe('passwd');
    expect(normaliseFileName('C:\\Users\\clinic\\a0001.wav', 'file-1')).toBe('a0001.wav');
  });

  it('replaces control characters (CR, LF, NUL) and undecodable bytes with underscores', () => {
    expect(normaliseFileName('evil\r\nSet-Cookie: x.wav', 'file-1')).toBe('evil__Set-Cookie: x.wav');
    expect(normaliseFileName('a\u0000b\ufffd.wav', 'file-1')).toBe('a_b_.wav');
  });

  it('caps a long name at the limit and keeps its extension', () => {
    const name = normaliseFileName(`${'x'.repeat(5000)}.flac`, 'file-1');
    expect([...name]).toHaveLength(MAX_FILE_NAME_LENGTH);
    expect(name.endsWith('.flac')).toBe(true);
  });

  it('uses the fallback for a name that is empty once cleaned', () => {
    expect(normaliseFileName('', 'file-3')).toBe('file-3');
    expect(normaliseFileName('dir/', 'file-3')).toBe('file-3');
    expect(normaliseFileName('..', 'file-3')).toBe('file-3');
  });
});
