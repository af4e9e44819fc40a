// Checks the API key (Authorization: Bearer <key> or X-API-Key), the role the endpoint needs, and the
// caller's rate limit. Endpoints without @Access need a screening key for writes and `read` for GETs.
import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { Config } from '@heartbeat/config';
import { ApiError } from '../common/api-error';
import { CONFIG } from '../common/tokens';
import { RateLimitRepository } from '../infrastructure/rate-limit.repository';
import { ACCESS_METADATA } from './access.decorator';
import { ApiKeysService } from './api-keys.service';
import { ROLE_GRANTS, type AccessLevel, type Principal, type RequestWithPrincipal } from './principal';

export function presentedApiKey(headers: Request['headers']): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const header = headers['x-api-key'];
  const value = Array.isArray(header) ? header[0] : header;
  return value?.trim() || undefined;
}

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(ApiKeysService) private readonly apiKeys: ApiKeysService,
    @Inject(RateLimitRepository) private readonly rateLimits: RateLimitRepository,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request & RequestWithPrincipal>();
    const response = context.switchToHttp().getResponse<Response>();
    const level =
      this.reflector.getAllAndOverride<AccessLevel | undefined>(ACCESS_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) ?? (request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'screening');
    if (level === 'public') return true;

    const secret = presentedApiKey(request.headers);
    let principal: Principal | undefined;
    if (secret) {
      principal = await this.apiKeys.authenticate(secret);
      if (!principal)
        throw new ApiError(401, 'API_KEY_INVALID', 'The API key is not valid (unknown or revoked).');
    }
    const openRead = level === 'read' && this.config.gateway.publicReads;
    if (!principal && !openRead)
      throw new ApiError(
        401,
        'API_KEY_MISSING',
        'This endpoint needs an API key: send "Authorization: Bearer <key>" or "X-API-Key: <key>".',
        undefined,
        {
          'WWW-Authenticate': 'Bearer',
        },
      );
    if (principal && !ROLE_GRANTS[principal.role].includes(level))
      throw new ApiError(
        403,
        'FORBIDDEN_ROLE',
        `This endpoint needs a key with the ${level} role; this key has the ${principal.role} role.`,
        {
          required: level,
          role: principal.role,
        },
      );

    request.principal = principal;
    await this.enforceRateLimit(
      principal ? `key:${principal.keyId}` : `ip:${request.ip ?? 'unknown'}`,
      response,
    );
    return true;
  }

  private async enforceRateLimit(subject: string, response: Response): Promise<void> {
    const perMinute = this.config.gateway.rateLimitPerMinute;
    const decision = await this.rateLimits.take(subject, perMinute);
    response.setHeader('X-RateLimit-Limit', String(perMinute));
    response.setHeader('X-RateLimit-Remaining', String(Math.max(0, decision.remaining)));
    if (!decision.allowed) {
      const retryAfter = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      throw new ApiError(
        429,
        'RATE_LIMITED',
        `Too many requests: at most ${perMinute} per minute per API key. Retry in ${retryAfter} s.`,
        { retryAfterSeconds: retryAfter },
        {
          'Retry-After': String(retryAfter),
        },
      );
    }
  }
}
