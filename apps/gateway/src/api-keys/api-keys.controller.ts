// Admin management of API keys over HTTP (the CLI does the same from a shell).
import { Body, Controller, Delete, Get, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import type { Request, Response } from 'express';
import { Access } from '../auth/access.decorator';
import { ApiKeysService, MAX_ROTATION_GRACE_SECONDS } from '../auth/api-keys.service';
import type { RequestWithPrincipal } from '../auth/principal';
import { sendReply } from '../common/reply';
import { IdempotencyService, validateIdempotencyKey } from '../idempotency/idempotency.service';
import { IdParamDto } from '../screening/dto';
import { IdempotencyKeyHeader } from '../screening/upload-docs';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'st-marys-ward-3', description: 'Who or what uses the key' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ enum: ['screening', 'admin'], example: 'screening' })
  @IsIn(['screening', 'admin'])
  role!: 'screening' | 'admin';

  @ApiPropertyOptional({
    example: '2027-06-30T00:00:00Z',
    description: 'When the key stops working (ISO 8601); none: it never expires',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string;
}

export class RotateApiKeyDto {
  @ApiPropertyOptional({
    example: 3600,
    description: `How long the old secret keeps working beside the new one, in seconds (0 to ${MAX_ROTATION_GRACE_SECONDS}; default 0)`,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_ROTATION_GRACE_SECONDS)
  graceSeconds?: number;
}

export class ApiKeyDto {
  @ApiProperty({ example: '6f1c2f4e-8a9b-4c1d-9e2f-0a1b2c3d4e5f' }) id!: string;
  @ApiProperty({ example: 'st-marys-ward-3' }) name!: string;
  @ApiProperty({ enum: ['screening', 'admin'] }) role!: string;
  @ApiProperty({ example: 'hb_Xk3v9Q' }) keyPrefix!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) lastUsedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) revokedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) expiresAt!: string | null;
}

export class CreatedApiKeyDto {
  @ApiProperty({ type: ApiKeyDto }) apiKey!: ApiKeyDto;
  @ApiProperty({ example: 'hb_Xk3v9Q...', description: 'Shown once; store it now' }) secret!: string;
}

export class RotatedApiKeyDto extends CreatedApiKeyDto {
  @ApiProperty({ type: ApiKeyDto, description: 'The old key, with the expiry the rotation gave it' })
  replaced!: ApiKeyDto;
}

@ApiTags('api keys (admin)')
@Access('admin')
@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(
    private readonly apiKeys: ApiKeysService,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create an API key; the secret is in the response only' })
  @IdempotencyKeyHeader()
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  async create(
    @Body() body: CreateApiKeyDto,
    @Req() request: Request & RequestWithPrincipal,
    @Res() response: Response,
  ): Promise<void> {
    const caller = request.principal?.keyId;
    const key = validateIdempotencyKey(request.headers['idempotency-key']);
    const reply = await this.idempotency.run(
      { key, route: 'POST /api/v1/api-keys', caller: caller ?? 'anonymous' },
      async () => ({
        status: 201,
        body: await this.apiKeys.create({
          role: body.role,
          name: body.name,
          actorKeyId: caller,
          expiresAt: body.expiresAt ? new Date(body.expiresAt) : undefined,
        }),
      }),
    );
    sendReply(response, reply);
  }

  @Get()
  @ApiOperation({ summary: 'List API keys (never their secrets)' })
  @ApiOkResponse({ type: [ApiKeyDto] })
  list(): Promise<ApiKeyDto[]> {
    return this.apiKeys.list();
  }

  @Post(':id/rotate')
  @ApiOperation({
    summary:
      'Rotate an API key: a new secret with the same name and role; the old one stops after graceSeconds',
  })
  @ApiCreatedResponse({ type: RotatedApiKeyDto })
  rotate(
    @Param() { id }: IdParamDto,
    @Body() body: RotateApiKeyDto,
    @Req() request: Request & RequestWithPrincipal,
  ): Promise<RotatedApiKeyDto> {
    return this.apiKeys.rotate(id, { graceSeconds: body.graceSeconds, actorKeyId: request.principal?.keyId });
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke an API key' })
  @ApiOkResponse({ type: ApiKeyDto })
  revoke(@Param() { id }: IdParamDto, @Req() request: Request & RequestWithPrincipal): Promise<ApiKeyDto> {
    return this.apiKeys.revoke(id, request.principal?.keyId);
  }
}
