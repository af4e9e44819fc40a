// @Access('screening') on a controller or handler says who may call it; the ApiKeyGuard enforces it.
import { applyDecorators, SetMetadata } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtension,
  ApiForbiddenResponse,
  ApiSecurity,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ApiErrorDto } from '../common/dto';
import type { AccessLevel } from './principal';

export const ACCESS_METADATA = 'heartbeat:access';

/** OpenAPI extension naming each operation's access level (the authorisation matrix reads it). */
export const ACCESS_EXTENSION = 'x-heartbeat-access';

export function Access(level: AccessLevel) {
  if (level === 'public')
    return applyDecorators(SetMetadata(ACCESS_METADATA, level), ApiExtension(ACCESS_EXTENSION, level));
  return applyDecorators(
    SetMetadata(ACCESS_METADATA, level),
    ApiExtension(ACCESS_EXTENSION, level),
    ApiBearerAuth(),
    ApiSecurity('api-key'),
    ApiUnauthorizedResponse({ type: ApiErrorDto, description: 'API_KEY_MISSING or API_KEY_INVALID' }),
    ApiForbiddenResponse({ type: ApiErrorDto, description: 'FORBIDDEN_ROLE: the key lacks the role' }),
    ApiTooManyRequestsResponse({ type: ApiErrorDto, description: 'RATE_LIMITED; see Retry-After' }),
  );
}
