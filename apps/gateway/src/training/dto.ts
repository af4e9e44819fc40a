// Request bodies of the training and model endpoints, validated at the edge.
import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsObject, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';

export class RetrainDto {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Training hyper-parameters: epochs, windowsPerEpoch, batchSize, learningRate, seed, maxMinutes, blockFilters...',
    example: { epochs: 20 },
  })
  @IsOptional()
  @IsObject()
  params?: Record<string, unknown>;
}

export class SiteCalibrationDto {
  @ApiProperty({ example: 'hospital-a', description: 'Site tag the labelled recordings were uploaded with' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9-]{0,39}$/, { message: 'site must be 1-40 letters, digits or dashes' })
  site!: string;

  @ApiPropertyOptional({ minimum: 4, default: 30, description: 'Records used to fit the decision; the rest judge it' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(4)
  calibrationRecords?: number;
}

export class ModelActionDto {
  @ApiPropertyOptional({ example: 'better sensitivity on our population', description: 'Recorded in the audit trail' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}
