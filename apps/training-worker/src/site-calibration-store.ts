// Sites' calibrations in PostgreSQL, announced on Redis when one changes so every inference worker
// reloads that site's decision at once.
import { SITE_CALIBRATION_CHANGED_CHANNEL } from '@heartbeat/queue';
import type { SitesRepository } from '@heartbeat/db';
import type { SiteCalibrationStore } from './training-run.service';

export interface CalibrationPublisher {
  publish(channel: string, message: string): Promise<unknown>;
}

export class AnnouncedSiteCalibrations implements SiteCalibrationStore {
  constructor(
    private readonly sites: Pick<SitesRepository, 'findByName' | 'recordCalibration'>,
    private readonly publisher: CalibrationPublisher,
  ) {}

  findByName(...args: Parameters<SitesRepository['findByName']>): ReturnType<SitesRepository['findByName']> {
    return this.sites.findByName(...args);
  }

  recordCalibration(
    ...args: Parameters<SitesRepository['recordCalibration']>
  ): ReturnType<SitesRepository['recordCalibration']> {
    return this.sites.recordCalibration(...args);
  }

  announce(site: string): Promise<unknown> {
    return this.publisher.publish(SITE_CALIBRATION_CHANGED_CHANNEL, site);
  }
}
