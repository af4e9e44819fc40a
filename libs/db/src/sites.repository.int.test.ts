import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '@heartbeat/config';
import { connectDatabase, type DatabaseConnection } from './client';
import { ApiKeysRepository } from './repositories/api-keys.repository';
import { SitesRepository } from './repositories/sites.repository';

let connection: DatabaseConnection;
let sites: SitesRepository;

beforeAll(() => {
  connection = connectDatabase(loadConfig(inject('integrationEnv')).db.url, { poolSize: 2 });
  sites = new SitesRepository(connection.db);
});

afterEach(async () => {
  await connection.db.execute(sql`truncate sites, api_keys cascade`);
});

afterAll(async () => {
  await connection.close();
});

const fitted = {
  status: 'active' as const,
  baseModelVersion: '1.6.0',
  slope: 1.2,
  intercept: -0.5,
  threshold: 0.4,
  normalRecords: 15,
  abnormalRecords: 15,
};

describe('SitesRepository', () => {
  it('creates a site once per name and refuses a name that is not a site tag', async () => {
    const site = await sites.create({ name: 'st-marys', device: 'Littmann 3200', owner: 'cardiology' });
    expect(site).toMatchObject({ name: 'st-marys', device: 'Littmann 3200', owner: 'cardiology' });
    expect(await sites.create({ name: 'st-marys' })).toBeUndefined();
    await expect(sites.create({ name: 'st marys!' })).rejects.toThrow();
  });

  it('keeps one active calibration per site: a new fit supersedes the old one, a refusal does not', async () => {
    const site = (await sites.create({ name: 'st-ives' }))!;
    const first = await sites.recordCalibration({ ...fitted, siteId: site.id });
    const second = await sites.recordCalibration({ ...fitted, siteId: site.id, threshold: 0.6 });
    await sites.recordCalibration({
      siteId: site.id,
      status: 'refused',
      baseModelVersion: '1.6.0',
      refusalCode: 'SITE_RANKING_TOO_WEAK',
      refusalReason: 'AUC 0.55',
    });

    expect((await sites.findWithActiveCalibration('st-ives'))?.calibration?.id).toBe(second.id);
    expect((await sites.findCalibration(first.id))?.status).toBe('superseded');
    const history = await sites.listCalibrations(site.id);
    expect(history.total).toBe(3);
    expect(history.items.map((c) => c.status).sort()).toEqual(['active', 'refused', 'superseded']);
  });

  it('refuses an active calibration without a usable decision', async () => {
    const site = (await sites.create({ name: 'st-agnes' }))!;
    await expect(sites.recordCalibration({ ...fitted, siteId: site.id, slope: -1 })).rejects.toThrow();
  });

  it("finds an API key's default site and clears it", async () => {
    const site = (await sites.create({ name: 'st-kilda' }))!;
    const key = await new ApiKeysRepository(connection.db).create({
      name: 'ward',
      keyHash: 'h'.repeat(64),
      keyPrefix: 'hb_',
      role: 'screening',
    });
    expect(await sites.defaultSiteOfKey(key.id)).toBeUndefined();
    expect(await sites.setDefaultSiteOfKey(key.id, site.id)).toBe(true);
    expect((await sites.defaultSiteOfKey(key.id))?.name).toBe('st-kilda');
    await sites.setDefaultSiteOfKey(key.id, null);
    expect(await sites.defaultSiteOfKey(key.id)).toBeUndefined();
  });
});
