import { describe, expect, it } from 'vitest';
import { csvHeader, formatCsvLine, formatJsonLine, formatTable } from './output-format';

describe('classify output', () => {
  const ok = {
    file: 'a.wav',
    label: 'abnormal' as const,
    probability: 0.912345,
    quality: 0.81234,
    windows: 4,
  };
  const failed = { file: 'b,c.wav', code: 'CORRUPT_AUDIO', error: 'The file is "broken".' };

  it('writes one JSON object per line with the documented field names', () => {
    expect(JSON.parse(formatJsonLine(ok))).toEqual({
      file: 'a.wav',
      label: 'abnormal',
      probability: 0.9123,
      quality: 0.812,
      windows: 4,
    });
    expect(JSON.parse(formatJsonLine(failed))).toEqual(failed);
    expect(formatJsonLine(failed)).not.toContain('\n');
  });

  it('leaves label empty and fills code and error for a failed file in CSV', () => {
    expect(csvHeader()).toBe('file,label,probability,quality,windows,code,error');
    expect(formatCsvLine(failed)).toBe('"b,c.wav",,,,,CORRUPT_AUDIO,"The file is ""broken""."');
    expect(formatCsvLine(ok)).toBe('a.wav,abnormal,0.9123,0.812,4,,');
  });

  it('aligns a table and shows the error in place of the scores', () => {
    const table = formatTable([ok, failed]).split('\n');
    expect(table[0]).toMatch(/^FILE\s+LABEL\s+P\(ABNORMAL\)\s+QUALITY\s+WINDOWS$/);
    expect(table[1]).toContain('abnormal');
    expect(table[2]).toContain('error CORRUPT_AUDIO');
    expect(table[2]).toContain('The file is "broken".');
  });
});
