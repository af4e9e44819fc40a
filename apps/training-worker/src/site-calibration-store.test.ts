import { describe, expect, it, vi } from 'vitest';
import { SITE_CALIBRATION_CHANGED_CHANNEL } from '@heartbeat/queue';
import { AnnouncedSiteCalibrations } from './site-calibration-store';

describe('AnnouncedSiteCalibrations', () => {
  it("announces a site's changed calibration on the channel the inference workers listen to", async () => {
    const publish = vi.fn(async () => 1);
    const sites = { findByName: vi.fn(), recordCalibration: vi.fn() };
    await new AnnouncedSiteCalibrations(sites, { publish }).announce('north');
    expect(publish).toHaveBeenCalledWith(SITE_CALIBRATION_CHANGED_CHANNEL, 'north');
  });

  it('reads and records calibrations through the sites repository', async () => {
    const site = { name: 'north' };
    const sites = { findByName: vi.fn(async () => site), recordCalibration: vi.fn(async () => undefined) };
    const store = new AnnouncedSiteCalibrations(sites as never, { publish: vi.fn() });
    expect(await store.findByName('north')).toBe(site);
    expect(sites.findByName).toHaveBeenCalledWith('north');
  });
});
