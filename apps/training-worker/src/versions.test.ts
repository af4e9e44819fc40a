import { describe, expect, it } from 'vitest';
import { nextCandidateVersion } from './versions';

describe('candidate versions', () => {
  it('gives a retrain the next minor after the highest registered version', () => {
    expect(nextCandidateVersion(['1.0.0', '1.2.0', '1.0.1-site.a'])).toBe('1.3.0');
  });

  it('starts at 1.0.0 when nothing is registered', () => {
    expect(nextCandidateVersion([])).toBe('1.0.0');
  });
});
