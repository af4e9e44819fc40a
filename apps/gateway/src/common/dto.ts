// DTOs shared by several controllers: the error body and pagination.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ERROR_CODES, type ErrorCode } from './error-catalogue';

export class ApiErrorDto {
  @ApiProperty({ example: 415 })
  statusCode!: number;

  @ApiProperty({
    enum: ERROR_CODES,
    example: 'UNSUPPORTED_FORMAT',
    description:
      'Stable machine-readable error code; each has one status and one meaning (README, "Error codes")',
  })
  code!: ErrorCode;

  @ApiProperty({
    example:
      'Unsupported audio format: expected WAV, FLAC, MP3, OGG (Vorbis/Opus) or a PhysioNet WFDB record (.hea + .dat), got a PNG image.',
  })
  message!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  details?: Record<string, unknown>;
}

export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 50, example: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, default: 0, example: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;
}
