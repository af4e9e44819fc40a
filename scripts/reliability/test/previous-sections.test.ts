import { describe, expect, it } from 'vitest';
import { previousSections } from '../previous-sections';

describe('previousSections', () => {
  it('gives the lines under each level-2 heading, without the blank line after the heading', () => {
    const report = [
      '# Title',
      '',
      '## Fuzzing',
      '',
      'Measured today.',
      '',
      '| a |',
      '## Soak',
      '',
      'Ten minutes.',
      '',
    ];
    const sections = previousSections(report.join('\n'));
    expect([...sections.keys()]).toEqual(['Fuzzing', 'Soak']);
    expect(sections.get('Fuzzing')).toEqual(['Measured today.', '', '| a |']);
    expect(sections.get('Soak')).toEqual(['Ten minutes.', '']);
  });

  it('gives nothing for a report without sections', () => {
    expect(previousSections('# Title\n\nText.\n').size).toBe(0);
  });
});
