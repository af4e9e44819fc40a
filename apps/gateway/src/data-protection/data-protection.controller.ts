// Administrative data protection over HTTP: deleting a recording with everything derived from it,
// and the audit trail of administrative actions (who, what, when).
import { Controller, Delete, Get, Inject, Param, Query, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import type { Request } from 'express';
import { AuditRepository } from '@heartbeat/db';
import { Access } from '../auth/access.decorator';
import type { RequestWithPrincipal } from '../auth/principal';
import { PageQueryDto } from '../common/dto';
import { IdParamDto } from '../screening/dto';
import { RecordingDeletionService } from './recording-deletion.service';

export class RecordingDeletedResponseDto {
  @ApiProperty() recordingId!: string;
  @ApiProperty({ example: 1 }) deletedPredictions!: number;
  @ApiProperty({ example: 0 }) deletedTrainingSamples!: number;
  @ApiProperty({
    description: 'False when another recording holds the same bytes, so the stored object stays for it',
  })
  objectDeleted!: boolean;
}

export class AuditEventsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    example: 'api_key.revoked',
    description: 'Exact action, e.g. api_key.created, model.promoted, recording.deleted',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  action?: string;

  @ApiPropertyOptional({ example: 'api_key' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  subjectType?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  subjectId?: string;

  @ApiPropertyOptional({ description: 'The API key id that acted' })
  @IsOptional()
  @IsUUID()
  actorKeyId?: string;

  @ApiPropertyOptional({ description: 'Events at or after this time', example: '2026-05-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601()
  from?: string;

  @ApiPropertyOptional({ description: 'Events before this time', example: '2026-06-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601()
  to?: string;
}

export class AuditEventDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'api_key.revoked' }) action!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'The API key that acted; null for the system (e.g. the retention purge)',
  })
  actorKeyId!: string | null;
  @ApiProperty({ nullable: true, type: String }) subjectType!: string | null;
  @ApiProperty({ nullable: true, type: String }) subjectId!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) details!: Record<string, unknown>;
  @ApiProperty() createdAt!: string;
}

export class AuditEventsPageDto {
  @ApiProperty({ type: [AuditEventDto] }) items!: AuditEventDto[];
  @ApiProperty({ example: 50 }) limit!: number;
  @ApiProperty({ example: 0 }) offset!: number;
  @ApiProperty({ example: 1 }) total!: number;
}

@ApiTags('data protection (admin)')
@Access('admin')
@Controller('api/v1')
export class DataProtectionController {
  constructor(
    @Inject(RecordingDeletionService) private readonly deletion: RecordingDeletionService,
    @Inject(AuditRepository) private readonly audit: AuditRepository,
  ) {}

  @Delete('recordings/:id')
  @ApiOperation({ summary: 'Delete a recording: its stored audio, its predictions and training samples' })
  @ApiOkResponse({ type: RecordingDeletedResponseDto })
  deleteRecording(
    @Param() { id }: IdParamDto,
    @Req() request: Request & RequestWithPrincipal,
  ): Promise<RecordingDeletedResponseDto> {
    return this.deletion.delete(id, request.principal?.keyId);
  }

  @Get('audit-events')
  @ApiOperation({
    summary:
      'The audit log of administrative actions (keys, models, training, sites, deletions), newest first',
  })
  @ApiOkResponse({ type: AuditEventsPageDto })
  async auditEvents(@Query() query: AuditEventsQueryDto): Promise<AuditEventsPageDto> {
    const page = await this.audit.list(
      {
        action: query.action,
        subjectType: query.subjectType,
        subjectId: query.subjectId,
        actorKeyId: query.actorKeyId,
        from: query.from ? new Date(query.from) : undefined,
        to: query.to ? new Date(query.to) : undefined,
      },
      { limit: query.limit ?? 50, offset: query.offset ?? 0 },
    );
    return {
      ...page,
      items: page.items.map((event) => ({
        id: event.id,
        action: event.action,
        actorKeyId: event.actorKeyId,
        subjectType: event.subjectType,
        subjectId: event.subjectId,
        details: event.details,
        createdAt: event.createdAt.toISOString(),
      })),
    };
  }
}
