import { describe, expect, it } from 'vitest';
import { nextCandidateVersion, siteCandidateVersion } from './versions';

describe('candidate versions', () => {
  it('gives a retrain the next minor after the highest registered version', () => {
    expect(nextCandidateVersion(['1.0.0', '1.2.0', '1.0.1-site.a'])).toBe('1.3.0');
  });

  it('starts at 1.0.0 when nothing is registered', () => {
    expect(nextCandidateVersion([])).toBe('1.0.0');
  });

  it('gives a site calibration the next free patch of the serving version, tagged with the site', () => {
    expect(siteCandidateVersion('1.2.0', 'Hospital-A', ['1.2.1-site.hospital-a'])).toBe('1.2.2-site.hospital-a');
  });
});
