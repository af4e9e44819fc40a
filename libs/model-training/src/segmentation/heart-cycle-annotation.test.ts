import { describe, expect, it } from 'vitest';
import { AnnotationFormatError, annotatedSpan, parseHeartCycleAnnotation } from './heart-cycle-annotation';

describe('parseHeartCycleAnnotation', () => {
  it('turns 1-based start samples into 0-based segments that end where the next row starts', () => {
    const annotation = parseHeartCycleAnnotation(
      'start_sample,state\n1,diastole\n679,S1\n959,systole\n1479,S2\n1679,diastole\n',
    );
    expect(annotation.segments).toEqual([
      { state: 'diastole', start: 0, end: 678 },
      { state: 'S1', start: 678, end: 958 },
      { state: 'systole', start: 958, end: 1478 },
      { state: 'S2', start: 1478, end: 1678 },
    ]);
    expect(annotation.onsets).toEqual([
      { state: 'S1', sample: 678 },
      { state: 'S2', sample: 1478 },
    ]);
    expect(annotation.noisy).toEqual([]);
  });

  it('does not count a sound that begins at the first sample as an onset', () => {
    expect(parseHeartCycleAnnotation('1,S1\n201,systole\n').onsets).toEqual([]);
  });

  it('keeps a bracketed noisy stretch out of the segments and leaves the gap after it unlabelled', () => {
    const annotation = parseHeartCycleAnnotation(
      'start_sample,state\n1,S2\n241,diastole\n1001,(N\n5001,N)\n6001,S1\n6241,systole\n',
    );
    expect(annotation.noisy).toEqual([{ start: 1000, end: 5000 }]);
    expect(annotation.segments).toEqual([
      { state: 'S2', start: 0, end: 240 },
      { state: 'diastole', start: 240, end: 1000 },
      { state: 'S1', start: 6000, end: 6240 },
    ]);
    expect(annotatedSpan(annotation)).toEqual({ start: 0, end: 6240 });
  });

  it('reads a recording that is noise from start to end as no segments and one noisy stretch', () => {
    const annotation = parseHeartCycleAnnotation('start_sample,state\n1,(N\n41518,N)\n');
    expect(annotation.segments).toEqual([]);
    expect(annotation.noisy).toEqual([{ start: 0, end: 41517 }]);
    expect(annotatedSpan(annotation)).toBeNull();
  });

  it('accepts Windows line ends and no header', () => {
    expect(parseHeartCycleAnnotation('1,S1\r\n101,systole\r\n').segments).toEqual([
      { state: 'S1', start: 0, end: 100 },
    ]);
  });

  it('names the file and line of a row it cannot read', () => {
    expect(() => parseHeartCycleAnnotation('start_sample,state\n1,S1\n0,systole\n', 'a0001.csv')).toThrow(
      /a0001\.csv, line 3/,
    );
    expect(() => parseHeartCycleAnnotation('1,murmur\n')).toThrow(/unknown state "murmur"/);
    expect(() => parseHeartCycleAnnotation('1,S1\nx,S2\n')).toThrow(AnnotationFormatError);
  });

  it('refuses rows out of time order and unbalanced noise markers', () => {
    expect(() => parseHeartCycleAnnotation('101,S1\n1,systole\n')).toThrow(/time order/);
    expect(() => parseHeartCycleAnnotation('1,S1\n101,(N\n')).toThrow(/has no "N\)"/);
    expect(() => parseHeartCycleAnnotation('1,S1\n101,N)\n')).toThrow(/without a "\(N"/);
    expect(() => parseHeartCycleAnnotation('1,(N\n101,S1\n201,N)\n')).toThrow(/inside a noisy stretch/);
  });
});
