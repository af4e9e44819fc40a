// Which site a screening request is decided for: the multipart field `site` or the header
// X-HeartBeat-Site it names, else its API key's default site, else none (the model's own decision).
import { Inject, Injectable } from '@nestjs/common';
import { SitesRepository } from '@heartbeat/db';
import { SITE_NAME_PATTERN } from '@heartbeat/queue';
import { ApiError } from '../common/api-error';

export const SITE_HEADER = 'x-heartbeat-site';

export interface SiteRequest {
  /** The multipart field `site` (or the JSON body's `site`). */
  field?: string;
  /** The X-HeartBeat-Site header. */
  header?: string | string[];
  keyId?: string;
}

@Injectable()
export class SiteResolver {
  constructor(
    @Inject(SitesRepository) private readonly sites: Pick<SitesRepository, 'findByName' | 'defaultSiteOfKey'>,
  ) {}

  /** The site's name, checked to exist; undefined when the request names none and its key has no default. */
  async resolve(request: SiteRequest): Promise<string | undefined> {
    const header = Array.isArray(request.header) ? request.header[0] : request.header;
    const field = request.field?.trim() || undefined;
    const fromHeader = header?.trim() || undefined;
    if (field && fromHeader && field !== fromHeader)
      throw new ApiError(
        400,
        'SITE_CONFLICT',
        `The request names two sites: "${field}" in the field site and "${fromHeader}" in X-HeartBeat-Site; send one.`,
        {
          field,
          header: fromHeader,
        },
      );
    const named = field ?? fromHeader;
    if (named !== undefined) {
      if (!SITE_NAME_PATTERN.test(named))
        throw new ApiError(
          400,
          'INVALID_SITE',
          `"${named.slice(0, 60)}" is not a site name: 1-40 letters, digits or dashes.`,
          { site: named.slice(0, 60) },
        );
      if (!(await this.sites.findByName(named)))
        throw new ApiError(
          422,
          'UNKNOWN_SITE',
          `No site named "${named}": create it with POST /api/v1/sites, or send the request without a site to get the model's own decision.`,
          {
            site: named,
          },
        );
      return named;
    }
    return request.keyId ? (await this.sites.defaultSiteOfKey(request.keyId))?.name : undefined;
  }
}
