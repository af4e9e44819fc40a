// Request bodies of the training and model endpoints, validated at the edge.
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, MaxLength } from 'class-validator';

export class RetrainDto {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      'Training hyper-parameters: epochs, windowsPerEpoch, batchSize, learningRate, seed, maxMinutes, blockFilters...',
    example: { epochs: 20 },
  })
  @IsOptional()
  @IsObject()
  params?: Record<string, unknown>;
}

export class ModelActionDto {
  @ApiPropertyOptional({
    example: 'better sensitivity on our population',
    description: 'Recorded in the audit trail',
  })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}
