import { describe, expect, it } from 'vitest';
import { parseLabelManifest } from './training-upload';

describe('parseLabelManifest', () => {
  it('reads file name,label lines and skips a header', () => {
    expect([...parseLabelManifest('file,label\na.wav,normal\r\nb.wav, ABNORMAL\n\n')]).toEqual([
      ['a.wav', 'normal'],
      ['b.wav', 'abnormal'],
    ]);
  });

  it('refuses an unknown label with the line number', () => {
    expect(() => parseLabelManifest('a.wav,normal\nb.wav,murmur')).toThrow(/line 2/);
  });
});
