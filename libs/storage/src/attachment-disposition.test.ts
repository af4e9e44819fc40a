import { describe, expect, it } from 'vitest';
import { attachmentDisposition } from './object-storage';

describe('attachmentDisposition', () => {
  it('gives a plain ASCII name in both forms', () => {
    expect(attachmentDisposition('a0001.flac')).toBe(
      `attachment; filename="a0001.flac"; filename*=UTF-8''a0001.flac`,
    );
  });

  it('keeps a UTF-8 name exactly in filename* and an ASCII stand-in in filename', () => {
    expect(attachmentDisposition('Müller 心音.wav')).toBe(
      `attachment; filename="M_ller __.wav"; filename*=UTF-8''M%C3%BCller%20%E5%BF%83%E9%9F%B3.wav`,
    );
  });

  it('cannot be broken out of by quotes, backslashes, semicolons or line breaks', () => {
    const header = attachmentDisposition('a"; filename="evil.exe\\\r\nX: y.wav');
    expect(header).not.toMatch(/[\r\n]/);
    expect(header.match(/"/g)).toHaveLength(2);
    expect(header).toContain(`filename*=UTF-8''a%22%3B%20filename%3D%22evil.exe%5C%0D%0AX%3A%20y.wav`);
  });
});
