// Request and response shapes of the read-only views: prediction counts over time and a model
// version's validation curves. Swagger reads the documentation from here.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsUUID, Matches, MaxLength } from 'class-validator';

export const COUNT_BUCKETS = ['auto', 'hour', 'day', 'week'] as const;
export type CountBucket = (typeof COUNT_BUCKETS)[number];

/** A model version string as the registry accepts it (1.6.0, 2.0.0-rc.1). */
export const MODEL_VERSION_PATTERN = /^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]*)?$/;

export class PredictionFilterQueryDto {
  @ApiPropertyOptional({ enum: ['normal', 'abnormal', 'unsure'] })
  @IsOptional()
  @IsIn(['normal', 'abnormal', 'unsure'])
  label?: 'normal' | 'abnormal' | 'unsure';

  @ApiPropertyOptional({
    description: 'Only predictions created at or after this time',
    example: '2026-05-01T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601()
  from?: string;

  @ApiPropertyOptional({
    description: 'Only predictions created before this time',
    example: '2026-06-01T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601()
  to?: string;

  @ApiPropertyOptional({ example: '6f1c2f4e-8a9b-4c1d-9e2f-0a1b2c3d4e5f' })
  @IsOptional()
  @IsUUID()
  batchId?: string;

  @ApiPropertyOptional({ description: 'Only predictions made by this model version', example: '1.6.0' })
  @IsOptional()
  @MaxLength(64)
  @Matches(MODEL_VERSION_PATTERN, { message: 'modelVersion must be a model version such as 1.6.0' })
  modelVersion?: string;
}

export class PredictionCountsQueryDto extends PredictionFilterQueryDto {
  @ApiPropertyOptional({
    enum: COUNT_BUCKETS,
    default: 'auto',
    description:
      'Width of a bucket (UTC). auto: hours when the matching predictions span less than two days, weeks when they span more than 26 weeks, days otherwise',
  })
  @IsOptional()
  @IsIn(COUNT_BUCKETS)
  bucket?: CountBucket;
}

export class PredictionCountBucketDto {
  @ApiProperty({ description: 'Start of the bucket (UTC)', example: '2026-12-01T00:00:00.000Z' })
  start!: string;
  @ApiProperty({ example: 31 }) normal!: number;
  @ApiProperty({ example: 9 }) abnormal!: number;
  @ApiProperty({ example: 2 }) unsure!: number;
  @ApiProperty({ example: 1 }) failed!: number;
  @ApiProperty({ description: 'Queued or being screened', example: 0 }) pending!: number;
  @ApiProperty({ example: 43 }) total!: number;
}

export class PredictionCountTotalsDto {
  @ApiProperty({ example: 6000 }) normal!: number;
  @ApiProperty({ example: 2000 }) abnormal!: number;
  @ApiProperty({ example: 1900 }) unsure!: number;
  @ApiProperty({ example: 100 }) failed!: number;
  @ApiProperty({ example: 0 }) pending!: number;
  @ApiProperty({ example: 10000 }) total!: number;
}

export class PredictionCountsDto {
  @ApiProperty({ enum: ['hour', 'day', 'week'], description: 'The bucket width used (auto resolved)' })
  bucket!: 'hour' | 'day' | 'week';
  @ApiProperty({
    type: [PredictionCountBucketDto],
    description: 'Buckets holding at least one matching prediction, oldest first',
  })
  buckets!: PredictionCountBucketDto[];
  @ApiProperty({ type: PredictionCountTotalsDto, description: 'Every matching prediction' })
  totals!: PredictionCountTotalsDto;
}

export class ValidationCurvesQueryDto {
  @ApiPropertyOptional({
    description: 'Only the validation recordings of this subset',
    example: 'training-a',
  })
  @IsOptional()
  @MaxLength(64)
  subset?: string;
}

export class RocPointDto {
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Probability at or above which a recording is called abnormal (null: the (0, 0) corner)',
    example: 0.42,
  })
  threshold!: number | null;
  @ApiProperty({ example: 0.1 }) falsePositiveRate!: number;
  @ApiProperty({ example: 0.85 }) truePositiveRate!: number;
}

export class ReliabilityBinDto {
  @ApiProperty({ example: 0.3 }) lower!: number;
  @ApiProperty({ example: 0.4 }) upper!: number;
  @ApiProperty({ example: 41 }) count!: number;
  @ApiProperty({ nullable: true, type: Number, example: 0.35, description: 'Mean predicted probability' })
  meanPredicted!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 0.32, description: 'Observed rate of abnormal' })
  observedRate!: number | null;
}

export class SubsetCurveSummaryDto {
  @ApiProperty({ example: 'training-a' }) subset!: string;
  @ApiProperty({ example: 82 }) count!: number;
  @ApiProperty({ example: 58 }) abnormal!: number;
  @ApiProperty({ nullable: true, type: Number, example: 0.85 }) auc!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 0.06 }) ece!: number | null;
}

export class ValidationCurvesDto {
  @ApiProperty({ example: '1.6.0' }) version!: string;
  @ApiProperty({ nullable: true, type: String, example: null, description: 'The subset asked for' })
  subset!: string | null;
  @ApiProperty({
    description:
      'Whether the registry holds validation scores for the version (a version registered without validation-scores.json has none, and no curves)',
  })
  scoresStored!: boolean;
  @ApiProperty({ example: 533 }) count!: number;
  @ApiProperty({ example: 108 }) abnormal!: number;
  @ApiProperty({ example: 425 }) normal!: number;
  @ApiProperty({ nullable: true, type: Number, example: 0.957, description: 'Area under the ROC curve' })
  auc!: number | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    example: 0.027,
    description: 'Expected calibration error over the reliability bins',
  })
  ece!: number | null;
  @ApiProperty({ type: [RocPointDto], description: 'From the highest threshold down' })
  roc!: RocPointDto[];
  @ApiProperty({ type: [ReliabilityBinDto], description: 'Ten equal-width probability bins' })
  reliability!: ReliabilityBinDto[];
  @ApiProperty({ type: [SubsetCurveSummaryDto], description: 'Every subset of the validation split' })
  subsets!: SubsetCurveSummaryDto[];
}
