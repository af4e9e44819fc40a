// OpenAPI descriptions of the multipart upload bodies.
import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiHeader, ApiPayloadTooLargeResponse, ApiUnsupportedMediaTypeResponse } from '@nestjs/swagger';
import { ApiErrorDto } from '../common/dto';

export const IdempotencyKeyHeader = () =>
  ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Any unique string (a UUID). A retry with the same key on the same route returns the first response and creates nothing.',
    example: '3f0e2c3a-0d9e-4a52-9f6b-7c1f0e7a1b2c',
  });

export function MultipartUpload(field: 'file' | 'files', description: string) {
  const schema: Record<string, unknown> =
    field === 'file'
      ? { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary', description } } }
      : { type: 'object', required: ['files'], properties: { files: { type: 'array', items: { type: 'string', format: 'binary' }, description } } };
  return applyDecorators(
    ApiConsumes('multipart/form-data'),
    ApiBody({ schema: schema as never }),
    IdempotencyKeyHeader(),
    ApiPayloadTooLargeResponse({ type: ApiErrorDto, description: 'FILE_TOO_LARGE (MAX_UPLOAD_BYTES) or TOO_MANY_FILES (MAX_BATCH_FILES)' }),
    ApiUnsupportedMediaTypeResponse({ type: ApiErrorDto, description: 'UNSUPPORTED_FORMAT: the bytes are not WAV, FLAC, MP3 or OGG; the message names what they are' }),
  );
}
