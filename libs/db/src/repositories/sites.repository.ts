// Sites and their calibrations. A site's calibrations are an append-only history; recording an
// active one supersedes the previous active one in the same transaction, so the partial unique
// index guarantees at most one calibration in force per site.
import { and, asc, count, desc, eq } from 'drizzle-orm';
import type { Database } from '../client';
import { normalisePage, type Page, type PageRequest } from '../pagination';
import {
  apiKeys,
  siteCalibrations,
  sites,
  trainingSamples,
  type NewSite,
  type NewSiteCalibration,
  type Site,
  type SiteCalibration,
} from '../schema';

/** A site with the calibration its requests use now (none until one was fitted). */
export interface SiteWithCalibration {
  site: Site;
  calibration: SiteCalibration | undefined;
}

export class SitesRepository {
  constructor(private readonly db: Database) {}

  /** Creates the site; undefined when a site of that name exists already. */
  async create(site: NewSite): Promise<Site | undefined> {
    const [created] = await this.db.insert(sites).values(site).onConflictDoNothing().returning();
    return created;
  }

  async findByName(name: string): Promise<Site | undefined> {
    const [row] = await this.db.select().from(sites).where(eq(sites.name, name));
    return row;
  }

  async list(): Promise<Site[]> {
    return this.db.select().from(sites).orderBy(asc(sites.name));
  }

  async update(name: string, changes: Pick<NewSite, 'device' | 'owner'>): Promise<Site | undefined> {
    const [row] = await this.db
      .update(sites)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(sites.name, name))
      .returning();
    return row;
  }

  /** The site and the calibration in force there, by the site's name. */
  async findWithActiveCalibration(name: string): Promise<SiteWithCalibration | undefined> {
    const [row] = await this.db
      .select({ site: sites, calibration: siteCalibrations })
      .from(sites)
      .leftJoin(
        siteCalibrations,
        and(eq(siteCalibrations.siteId, sites.id), eq(siteCalibrations.status, 'active')),
      )
      .where(eq(sites.name, name));
    return row ? { site: row.site, calibration: row.calibration ?? undefined } : undefined;
  }

  /** Every site with the calibration in force there, by name. */
  async listWithActiveCalibration(): Promise<SiteWithCalibration[]> {
    const rows = await this.db
      .select({ site: sites, calibration: siteCalibrations })
      .from(sites)
      .leftJoin(
        siteCalibrations,
        and(eq(siteCalibrations.siteId, sites.id), eq(siteCalibrations.status, 'active')),
      )
      .orderBy(asc(sites.name));
    return rows.map((row) => ({ site: row.site, calibration: row.calibration ?? undefined }));
  }

  async findCalibration(id: string): Promise<SiteCalibration | undefined> {
    const [row] = await this.db.select().from(siteCalibrations).where(eq(siteCalibrations.id, id));
    return row;
  }

  /** A site's calibrations (fitted, superseded and refused), newest first. */
  async listCalibrations(siteId: string, page?: PageRequest): Promise<Page<SiteCalibration>> {
    const { limit, offset } = normalisePage(page);
    const where = eq(siteCalibrations.siteId, siteId);
    const [items, [totals]] = await Promise.all([
      this.db
        .select()
        .from(siteCalibrations)
        .where(where)
        .orderBy(desc(siteCalibrations.createdAt), desc(siteCalibrations.id))
        .limit(limit)
        .offset(offset),
      this.db.select({ total: count() }).from(siteCalibrations).where(where),
    ]);
    return { items, limit, offset, total: totals?.total ?? 0 };
  }

  /** Stores a fit (or a refusal); an active one takes over from the site's previous active one. */
  async recordCalibration(calibration: NewSiteCalibration): Promise<SiteCalibration> {
    return this.db.transaction(async (tx) => {
      if (calibration.status === 'active')
        await tx
          .update(siteCalibrations)
          .set({ status: 'superseded' })
          .where(and(eq(siteCalibrations.siteId, calibration.siteId), eq(siteCalibrations.status, 'active')));
      const [created] = await tx.insert(siteCalibrations).values(calibration).returning();
      return created!;
    });
  }

  /** Labelled uploads tagged with the site, by label. */
  async countSamples(name: string): Promise<{ normal: number; abnormal: number }> {
    const rows = await this.db
      .select({ label: trainingSamples.label, total: count() })
      .from(trainingSamples)
      .where(eq(trainingSamples.site, name))
      .groupBy(trainingSamples.label);
    const counts = { normal: 0, abnormal: 0 };
    for (const row of rows) counts[row.label] = row.total;
    return counts;
  }

  /** The site an API key's requests use when they name none, if it has one. */
  async defaultSiteOfKey(keyId: string): Promise<Site | undefined> {
    const [row] = await this.db
      .select({ site: sites })
      .from(apiKeys)
      .innerJoin(sites, eq(sites.id, apiKeys.defaultSiteId))
      .where(eq(apiKeys.id, keyId));
    return row?.site;
  }

  /** Sets (or clears, with null) an API key's default site; false when there is no such key. */
  async setDefaultSiteOfKey(keyId: string, siteId: string | null): Promise<boolean> {
    const rows = await this.db
      .update(apiKeys)
      .set({ defaultSiteId: siteId })
      .where(eq(apiKeys.id, keyId))
      .returning({ id: apiKeys.id });
    return rows.length > 0;
  }
}
