import { describe, expect, it } from 'vitest';
import { csvLine, defuseFormula, toCsv } from '@heartbeat/contracts';

describe('toCsv', () => {
  it('writes a header and one CRLF-terminated line per row, empty cells for missing values', () => {
    expect(
      toCsv(
        ['file', 'label', 'probability'],
        [{ file: 'a.wav', label: 'normal', probability: 0.25 }, { file: 'b.wav' }],
      ),
    ).toBe('file,label,probability\r\na.wav,normal,0.25\r\nb.wav,,\r\n');
  });

  it('quotes commas, quotes and line breaks', () => {
    expect(toCsv(['message'], [{ message: 'a "b", c\nd' }])).toBe('message\r\n"a ""b"", c\nd"\r\n');
  });

  it('defuses cells a spreadsheet would run as a formula, but keeps negative numbers', () => {
    expect(
      toCsv(
        ['file'],
        [{ file: '=HYPERLINK("http://x")' }, { file: '@SUM(A1)' }, { file: '-0.5' }, { file: '+1' }],
      ),
    ).toBe('file\r\n"\'=HYPERLINK(""http://x"")"\r\n\'@SUM(A1)\r\n-0.5\r\n+1\r\n');
    expect(defuseFormula('\t=1+1')).toBe("'\t=1+1");
  });
});

// The gateway's csvCell assertions, kept when its writer became this one.
describe('csvLine', () => {
  it('quotes commas, quotes and newlines', () => {
    expect(csvLine(['a,b'])).toBe('"a,b"');
    expect(csvLine(['say "hi"'])).toBe('"say ""hi"""');
    expect(csvLine([null])).toBe('');
    expect(csvLine([0.25])).toBe('0.25');
  });

  it('defuses values a spreadsheet would run as a formula', () => {
    expect(csvLine(['=HYPERLINK("x")'])).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvLine(['-0.5'])).toBe('-0.5');
  });
});
