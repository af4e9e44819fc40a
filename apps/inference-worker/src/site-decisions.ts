// Per-site decisions for the served model: a job that names a site is decided with that site's
// calibration in force, on top of whichever model serves, so sites never need a model swap. Each
// site's calibration is cached for a short while and dropped at once when the training worker
// announces a new one (SITE_CALIBRATION_CHANGED_CHANNEL).
import type { SiteWithCalibration } from '@heartbeat/db';
import { siteDecisionPolicy, type DecisionPolicy, type SiteOperatingPoint } from '@heartbeat/model';

export interface SiteCalibrationSource {
  findWithActiveCalibration(name: string): Promise<SiteWithCalibration | undefined>;
}

/** What a site's requests are decided with: its calibration, or none yet (the model's own decision). */
export interface SiteRule {
  site: string;
  calibration?: SiteOperatingPoint & { id: string; baseModelVersion: string };
}

/** The decision a job gets, and what the prediction records about it. */
export interface AppliedDecision {
  policy: DecisionPolicy;
  site?: string;
  calibrationId?: string;
}

export class UnknownSiteError extends Error {
  readonly code = 'SITE_NOT_FOUND';
  constructor(readonly site: string) {
    super(`No site named "${site}": create it with POST /api/v1/sites, or send the request without a site`);
    this.name = 'UnknownSiteError';
  }
}

interface Entry {
  rule: Promise<SiteRule>;
  fetchedAt: number;
}

export class SiteDecisions {
  private readonly entries = new Map<string, Entry>();
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(
    private readonly source: SiteCalibrationSource,
    options: { maxAgeMs?: number; now?: () => number } = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 30_000;
    this.now = options.now ?? (() => Date.now());
  }

  /** The site's rule, from the cache while it is fresh; concurrent jobs of one site share one lookup. */
  ruleFor(site: string): Promise<SiteRule> {
    const cached = this.entries.get(site);
    if (cached && this.now() - cached.fetchedAt < this.maxAgeMs) return cached.rule;
    const rule = this.fetch(site);
    const entry = { rule, fetchedAt: this.now() };
    this.entries.set(site, entry);
    // A failed lookup (database out of reach, unknown site) is not cached.
    rule.catch(() => {
      if (this.entries.get(site) === entry) this.entries.delete(site);
    });
    return rule;
  }

  /** Forgets one site's rule (its calibration changed), or every site's. */
  invalidate(site?: string): void {
    if (site === undefined) this.entries.clear();
    else this.entries.delete(site);
  }

  /** The decision for a job: the site's calibration on top of the model's, or the model's own. */
  async decisionFor(site: string | undefined, model: DecisionPolicy): Promise<AppliedDecision> {
    if (site === undefined) return { policy: model };
    const rule = await this.ruleFor(site);
    if (!rule.calibration) return { policy: model, site };
    return { policy: siteDecisionPolicy(model, rule.calibration), site, calibrationId: rule.calibration.id };
  }

  private async fetch(site: string): Promise<SiteRule> {
    const found = await this.source.findWithActiveCalibration(site);
    if (!found) throw new UnknownSiteError(site);
    const calibration = found.calibration;
    if (
      !calibration ||
      calibration.slope === null ||
      calibration.intercept === null ||
      calibration.threshold === null
    )
      return { site };
    return {
      site,
      calibration: {
        id: calibration.id,
        baseModelVersion: calibration.baseModelVersion,
        slope: calibration.slope,
        intercept: calibration.intercept,
        threshold: calibration.threshold,
      },
    };
  }
}
