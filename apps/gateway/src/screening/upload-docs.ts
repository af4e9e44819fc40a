// OpenAPI descriptions of the multipart upload bodies.
import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiPayloadTooLargeResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { ApiErrorDto } from '../common/dto';

export const IdempotencyKeyHeader = () =>
  ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Any unique string (a UUID). A retry with the same key on the same route returns the first response and creates nothing.',
    example: '3f0e2c3a-0d9e-4a52-9f6b-7c1f0e7a1b2c',
  });

/** The site a screening request is decided for (also the multipart field `site`, or the API key's default site). */
export const SiteHeader = () =>
  applyDecorators(
    ApiHeader({
      name: 'X-HeartBeat-Site',
      required: false,
      description:
        "Decide with this site's calibration, on top of the promoted model (GET /api/v1/sites). Without it (and without the field site) the API key's default site is used, else the model's own decision. 422 UNKNOWN_SITE for a site that does not exist.",
      example: 'clinic-b',
    }),
    ApiBadRequestResponse({
      type: ApiErrorDto,
      description:
        'SITE_CONFLICT (field and header name different sites), INVALID_SITE, SITE_FIELD_AFTER_FILES (send the field site before the files), NO_FILES',
    }),
  );

const SITE_FIELD = {
  type: 'string',
  description:
    "Decide with this site's calibration; send it before the file(s), or use the header X-HeartBeat-Site",
  example: 'clinic-b',
};

export function MultipartUpload(field: 'file' | 'files', description: string) {
  const schema: Record<string, unknown> =
    field === 'file'
      ? {
          type: 'object',
          required: ['file'],
          properties: { site: SITE_FIELD, file: { type: 'string', format: 'binary', description } },
        }
      : {
          type: 'object',
          required: ['files'],
          properties: {
            site: SITE_FIELD,
            files: { type: 'array', items: { type: 'string', format: 'binary' }, description },
          },
        };
  return applyDecorators(
    ApiConsumes('multipart/form-data'),
    ApiBody({ schema: schema as never }),
    IdempotencyKeyHeader(),
    SiteHeader(),
    ApiPayloadTooLargeResponse({
      type: ApiErrorDto,
      description: 'FILE_TOO_LARGE (MAX_UPLOAD_BYTES) or TOO_MANY_FILES (MAX_BATCH_FILES)',
    }),
    ApiUnsupportedMediaTypeResponse({
      type: ApiErrorDto,
      description:
        'UNSUPPORTED_FORMAT: the bytes are not WAV, FLAC, MP3 or OGG; the message names what they are',
    }),
  );
}
