// Sites for admins and integrators: create and describe a site, its calibrations (fitted decision,
// local sensitivity and specificity, refusals), starting a calibration run (refused at once when the
// site's labelled recordings cannot support one), and an API key's default site.
import { Inject, Injectable } from '@nestjs/common';
import { AuditRepository, SitesRepository, type Site, type SiteCalibration } from '@heartbeat/db';
import { checkSiteRecordCounts, SiteCalibrationError } from '@heartbeat/model';
import { siteCalibrationParamsSchema } from '@heartbeat/queue';
import { ApiError } from '../common/api-error';
import type { Principal } from '../auth/principal';
import { TrainingService } from '../training/training.service';
import type {
  CreateSiteDto,
  SiteCalibrationDto,
  SiteCalibrationPageDto,
  SiteDto,
  StartSiteCalibrationDto,
  UpdateSiteDto,
} from './dto';

const LOCAL_FIGURES = [
  'sensitivity',
  'specificity',
  'sensitivityLowerBound',
  'specificityLowerBound',
  'auc',
  'aucLowerBound',
  'targetSensitivity',
  'modelSensitivity',
  'modelSpecificity',
] as const;

export function presentCalibration(row: SiteCalibration): SiteCalibrationDto {
  const metrics = row.metrics ?? {};
  const fitted =
    row.status !== 'refused' && row.slope !== null && row.intercept !== null && row.threshold !== null;
  const local = fitted
    ? (Object.fromEntries(
        LOCAL_FIGURES.map((key) => [key, typeof metrics[key] === 'number' ? metrics[key] : null]),
      ) as unknown as SiteCalibrationDto['local'])
    : null;
  return {
    id: row.id,
    status: row.status,
    baseModelVersion: row.baseModelVersion,
    decision: fitted ? { slope: row.slope!, intercept: row.intercept!, threshold: row.threshold! } : null,
    records: { normal: row.normalRecords, abnormal: row.abnormalRecords },
    local,
    refusal: row.refusalCode ? { code: row.refusalCode, reason: row.refusalReason ?? '' } : null,
    metrics,
    trainingRunId: row.trainingRunId,
    createdAt: row.createdAt.toISOString(),
  };
}

const siteNotFound = (name: string) =>
  new ApiError(404, 'SITE_NOT_FOUND', `No site named "${name}"; create it with POST /api/v1/sites.`, {
    site: name,
  });

@Injectable()
export class SitesService {
  constructor(
    @Inject(SitesRepository) private readonly sites: SitesRepository,
    @Inject(AuditRepository) private readonly audit: AuditRepository,
    @Inject(TrainingService) private readonly training: Pick<TrainingService, 'startSiteCalibration'>,
  ) {}

  async create(body: CreateSiteDto, principal?: Principal): Promise<SiteDto> {
    const created = await this.sites.create({
      name: body.name,
      device: body.device ?? null,
      owner: body.owner ?? null,
    });
    if (!created)
      throw new ApiError(
        409,
        'SITE_EXISTS',
        `A site named "${body.name}" exists already; change it with PATCH /api/v1/sites/${body.name}.`,
        { site: body.name },
      );
    await this.audit.record({
      action: 'site.created',
      actorKeyId: principal?.keyId,
      subjectType: 'site',
      subjectId: created.name,
      details: { device: created.device, owner: created.owner },
    });
    return this.present(created);
  }

  async update(name: string, body: UpdateSiteDto, principal?: Principal): Promise<SiteDto> {
    const updated = await this.sites.update(name, { device: body.device, owner: body.owner });
    if (!updated) throw siteNotFound(name);
    await this.audit.record({
      action: 'site.updated',
      actorKeyId: principal?.keyId,
      subjectType: 'site',
      subjectId: name,
      details: { ...body },
    });
    return this.present(updated);
  }

  async list(): Promise<{ items: SiteDto[] }> {
    const rows = await this.sites.listWithActiveCalibration();
    return { items: await Promise.all(rows.map(({ site, calibration }) => this.present(site, calibration))) };
  }

  async get(name: string): Promise<SiteDto> {
    const found = await this.sites.findWithActiveCalibration(name);
    if (!found) throw siteNotFound(name);
    return this.present(found.site, found.calibration);
  }

  /** The calibration in force at the site (404 SITE_NOT_CALIBRATED, with the last refusal, when there is none). */
  async activeCalibration(name: string): Promise<SiteCalibrationDto> {
    const found = await this.sites.findWithActiveCalibration(name);
    if (!found) throw siteNotFound(name);
    if (found.calibration) return presentCalibration(found.calibration);
    const [latest] = (await this.sites.listCalibrations(found.site.id, { limit: 1 })).items;
    throw new ApiError(
      404,
      'SITE_NOT_CALIBRATED',
      latest?.refusalCode
        ? `Site "${name}" has no calibration: its last fit was refused (${latest.refusalCode}: ${latest.refusalReason}). Its requests get the model's own decision.`
        : `Site "${name}" has no calibration yet; its requests get the model's own decision. Start one with POST /api/v1/sites/${name}/calibrations.`,
      { site: name, ...(latest ? { lastAttempt: presentCalibration(latest) } : {}) },
    );
  }

  async calibrations(
    name: string,
    page: { limit?: number; offset?: number },
  ): Promise<SiteCalibrationPageDto> {
    const site = await this.sites.findByName(name);
    if (!site) throw siteNotFound(name);
    const result = await this.sites.listCalibrations(site.id, page);
    return { ...result, items: result.items.map(presentCalibration) };
  }

  /**
   * Starts a calibration run, after checking what can be checked without scoring: the site exists
   * and has enough labelled recordings of both classes (422 SITE_RECORDS_ONE_CLASS / _TOO_FEW).
   */
  async startCalibration(name: string, body: StartSiteCalibrationDto, principal?: Principal) {
    const site = await this.sites.findByName(name);
    if (!site) throw siteNotFound(name);
    const counts = await this.sites.countSamples(name);
    try {
      checkSiteRecordCounts(counts);
    } catch (error) {
      if (!(error instanceof SiteCalibrationError)) throw error;
      throw new ApiError(
        422,
        error.code,
        `${error.message} Upload them with POST /api/v1/training-data and the field site=${name}.`,
        { site: name, records: counts },
      );
    }
    const params = siteCalibrationParamsSchema.parse({ site: name, ...body });
    return this.training.startSiteCalibration(params, principal);
  }

  async setKeyDefaultSite(
    keyId: string,
    name: string | null,
    principal?: Principal,
  ): Promise<{ keyId: string; site: string | null }> {
    const site = name === null ? null : await this.sites.findByName(name);
    if (name !== null && !site) throw siteNotFound(name);
    if (!(await this.sites.setDefaultSiteOfKey(keyId, site?.id ?? null)))
      throw new ApiError(404, 'API_KEY_NOT_FOUND', `No API key with id ${keyId}`, { id: keyId });
    await this.audit.record({
      action: 'api_key.default_site_set',
      actorKeyId: principal?.keyId,
      subjectType: 'api_key',
      subjectId: keyId,
      details: { site: name },
    });
    return { keyId, site: name };
  }

  private async present(site: Site, calibration?: SiteCalibration): Promise<SiteDto> {
    const [records, history] = await Promise.all([
      this.sites.countSamples(site.name),
      this.sites.listCalibrations(site.id, { limit: 1 }),
    ]);
    const latest = history.items[0];
    const lastRefusal = latest && latest.status === 'refused' ? latest : undefined;
    return {
      name: site.name,
      device: site.device,
      owner: site.owner,
      records,
      status: lastRefusal ? 'refused' : calibration ? 'calibrated' : 'uncalibrated',
      calibration: calibration ? presentCalibration(calibration) : null,
      lastRefusal: lastRefusal ? presentCalibration(lastRefusal) : null,
      createdAt: site.createdAt.toISOString(),
      updatedAt: site.updatedAt.toISOString(),
    };
  }
}
