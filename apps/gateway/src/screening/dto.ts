// Request and response shapes of the screening endpoints; Swagger reads the documentation from here.
import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import {
  ArrayMinSize,
  IsArray,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
} from 'class-validator';
import { PageQueryDto } from '../common/dto';
import { PredictionFilterQueryDto } from '../insights/dto';

const UUID_EXAMPLE = '6f1c2f4e-8a9b-4c1d-9e2f-0a1b2c3d4e5f';

export class WindowScoreDto {
  @ApiProperty({ example: 0 }) startSeconds!: number;
  @ApiProperty({ example: 5 }) endSeconds!: number;
  @ApiProperty({ example: 0.87 }) probability!: number;
}

export class PredictionErrorDto {
  @ApiProperty({ example: 'TOO_SHORT' }) code!: string;
  @ApiProperty({ example: 'The recording lasts 1.20 s; at least 2 s are needed to hear a few heartbeats.' })
  message!: string;
}

export class PredictionDto {
  @ApiProperty({ example: UUID_EXAMPLE }) id!: string;
  @ApiProperty({ example: UUID_EXAMPLE }) recordingId!: string;
  @ApiProperty({ example: UUID_EXAMPLE, nullable: true, type: String }) batchId!: string | null;
  @ApiProperty({ example: 'a0114.flac', nullable: true, type: String }) fileName!: string | null;
  @ApiProperty({ enum: ['pending', 'succeeded', 'failed'], example: 'succeeded' }) status!: string;
  @ApiProperty({
    enum: ['normal', 'abnormal', 'unsure'],
    example: 'abnormal',
    nullable: true,
    type: String,
  })
  label!: string | null;
  @ApiProperty({
    description: 'Probability that the recording is abnormal',
    example: 0.91,
    nullable: true,
    type: Number,
  })
  probability!: number | null;
  @ApiProperty({
    description: 'Signal quality, 0 (unusable) to 1 (clean)',
    example: 0.82,
    nullable: true,
    type: Number,
  })
  quality!: number | null;
  @ApiProperty({ type: [WindowScoreDto], nullable: true }) windows!: WindowScoreDto[] | null;
  @ApiProperty({ example: '1.0.0', nullable: true, type: String }) modelVersion!: string | null;
  @ApiProperty({
    description:
      "Site the request was decided for (field site, header X-HeartBeat-Site or the API key's default; null: none)",
    example: 'clinic-b',
    nullable: true,
    type: String,
  })
  site!: string | null;
  @ApiProperty({
    description:
      "The site calibration that made the decision (GET /api/v1/sites/{site}/calibrations); null: the model version's own decision",
    example: UUID_EXAMPLE,
    nullable: true,
    type: String,
  })
  calibrationId!: string | null;
  @ApiProperty({
    description: 'Decision threshold on the probability that was applied',
    example: 0.12,
    nullable: true,
    type: Number,
  })
  threshold!: number | null;
  @ApiProperty({ example: 42, nullable: true, type: Number }) latencyMs!: number | null;
  @ApiProperty({ type: PredictionErrorDto, nullable: true }) error!: PredictionErrorDto | null;
  @ApiProperty({ example: '2026-05-04T10:00:00.000Z' }) createdAt!: string;
  @ApiProperty({ example: '2026-05-04T10:00:01.000Z', nullable: true, type: String }) completedAt!:
    string | null;
}

export class PredictResultDto extends PredictionDto {
  @ApiProperty({
    enum: ['normal', 'abnormal', 'unsure'],
    example: 'abnormal',
    description: 'Same as label (prototype field)',
  })
  prediction!: string;
  @ApiProperty({ example: 0.91, description: 'Probability of the predicted label (prototype field)' })
  confidence!: number;
  @ApiProperty({ example: UUID_EXAMPLE }) jobId!: string;
}

export class PredictPendingDto {
  @ApiProperty({ example: 'pending' }) status!: 'pending';
  @ApiProperty({ example: UUID_EXAMPLE }) predictionId!: string;
  @ApiProperty({ example: UUID_EXAMPLE }) jobId!: string;
  @ApiProperty({ example: `/api/v1/predictions/${UUID_EXAMPLE}` }) statusUrl!: string;
  @ApiProperty({ example: 'The prediction is still running; poll statusUrl.' }) message!: string;
}

export class BatchFileDto {
  @ApiProperty({ example: 0 }) index!: number;
  @ApiProperty({ example: 'a0114.flac' }) fileName!: string;
  @ApiProperty({ enum: ['queued', 'rejected'], example: 'queued' }) status!: 'queued' | 'rejected';
  @ApiPropertyOptional({ example: UUID_EXAMPLE }) recordingId?: string;
  @ApiPropertyOptional({ example: UUID_EXAMPLE }) predictionId?: string;
  @ApiPropertyOptional({ example: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' })
  sha256?: string;
  @ApiPropertyOptional({ example: 'UNSUPPORTED_FORMAT' }) code?: string;
  @ApiPropertyOptional({
    example: 'Unsupported audio format: expected WAV, FLAC, MP3 or OGG (Vorbis/Opus), got a PNG image.',
  })
  message?: string;
}

export class BatchStatusDto {
  @ApiProperty({ example: UUID_EXAMPLE }) batchId!: string;
  @ApiProperty({
    enum: ['receiving', 'pending', 'running', 'completed', 'failed', 'cancelled'],
    description:
      'receiving: files are still arriving (total grows; recordings already stored are being screened); failed: the upload broke off',
    example: 'running',
  })
  status!: string;
  @ApiProperty({ example: 50 }) total!: number;
  @ApiProperty({ description: 'Recordings with an outcome (succeeded + failed)', example: 20 }) done!: number;
  @ApiProperty({ example: 19 }) succeeded!: number;
  @ApiProperty({ example: 1 }) failed!: number;
  @ApiProperty({ example: 30 }) pending!: number;
  @ApiProperty({ description: 'done / total, 0 to 1', example: 0.4 }) progress!: number;
  @ApiProperty({ example: '2026-05-04T10:00:00.000Z' }) createdAt!: string;
  @ApiProperty({ example: null, nullable: true, type: String }) finishedAt!: string | null;
  @ApiProperty({ example: `/api/v1/batches/${UUID_EXAMPLE}` }) statusUrl!: string;
  @ApiProperty({ example: `/api/v1/batches/${UUID_EXAMPLE}/results` }) resultsUrl!: string;
}

export class BatchCreatedDto extends BatchStatusDto {
  @ApiProperty({ example: 49 }) accepted!: number;
  @ApiProperty({ example: 1 }) rejected!: number;
  @ApiProperty({ type: [BatchFileDto] }) files!: BatchFileDto[];
}

export class BatchResultsDto {
  @ApiProperty({ type: BatchStatusDto }) batch!: BatchStatusDto;
  @ApiProperty({ type: [PredictionDto] }) items!: PredictionDto[];
  @ApiProperty({ type: [BatchFileDto], description: 'Files refused at upload (never queued)' })
  rejected!: BatchFileDto[];
  @ApiProperty({ example: 50 }) limit!: number;
  @ApiProperty({ example: 0 }) offset!: number;
  @ApiProperty({ example: 49 }) total!: number;
}

export class CreateBatchFromKeysDto {
  @ApiProperty({
    description: 'Object keys of recordings already in the bucket',
    example: ['incoming/2026-05-04/a0114.flac', 'incoming/2026-05-04/a0293.flac'],
    type: [String],
  })
  @IsArray()
  @ArrayMinSize(1)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(1024, { each: true })
  keys!: string[];

  @ApiPropertyOptional({
    example: 'clinic-b',
    description: "Decide with this site's calibration (as the header X-HeartBeat-Site)",
  })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  site?: string;
}

export class BatchResultsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    enum: ['json', 'csv', 'fhir'],
    description:
      'Also selectable with Accept: text/csv, or Accept: application/fhir+json for a FHIR R4 DiagnosticReport carrying one Observation per recording',
  })
  @IsOptional()
  @IsIn(['json', 'csv', 'fhir'])
  format?: 'json' | 'csv' | 'fhir';
}

export class PredictionQueryDto {
  @ApiPropertyOptional({
    enum: ['json', 'fhir'],
    description: 'fhir: a FHIR R4 Observation (also with Accept: application/fhir+json)',
  })
  @IsOptional()
  @IsIn(['json', 'fhir'])
  format?: 'json' | 'fhir';
}

/** A page of prediction history with the same filters as the counts (GET /visualizations/prediction-history). */
export class PredictionHistoryQueryDto extends IntersectionType(PageQueryDto, PredictionFilterQueryDto) {}

export class IdParamDto {
  @ApiProperty({ example: UUID_EXAMPLE })
  @IsUUID()
  id!: string;
}

export class DownloadQueryDto {
  @ApiPropertyOptional({
    enum: ['redirect', 'json'],
    description: 'json answers {url} instead of redirecting (also with Accept: application/json)',
  })
  @IsOptional()
  @IsIn(['redirect', 'json'])
  format?: 'redirect' | 'json';
}

export class DownloadLinkDto {
  @ApiProperty({ example: 'http://127.0.0.1:4569/heartbeat/recordings/9f86...?X-Amz-Signature=...' })
  url!: string;
  @ApiProperty({ example: 'a0114.flac' }) fileName!: string;
  @ApiProperty({ example: 900 }) expiresInSeconds!: number;
}

export class DeadLetterEntryDto {
  @ApiProperty({ example: 'predictions-6f1c2f4e-8a9b-4c1d-9e2f-0a1b2c3d4e5f' }) id!: string;
  @ApiProperty({ example: 'predictions' }) queue!: string;
  @ApiProperty({ example: UUID_EXAMPLE }) jobId!: string;
  @ApiProperty({ example: 'predictions' }) jobName!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) payload!: unknown;
  @ApiProperty({ example: 'S3 unavailable: connect ECONNREFUSED' }) failedReason!: string;
  @ApiProperty({ example: 3 }) attemptsMade!: number;
  @ApiProperty({ example: '2026-05-04T10:00:00.000Z' }) failedAt!: string;
}

export class DeadLetterPageDto {
  @ApiProperty({ type: [DeadLetterEntryDto] }) items!: DeadLetterEntryDto[];
  @ApiProperty({ example: 1 }) total!: number;
  @ApiProperty({ example: 50 }) limit!: number;
  @ApiProperty({ example: 0 }) offset!: number;
}

export class PredictionPageDto {
  @ApiProperty({ type: [PredictionDto] }) items!: PredictionDto[];
  @ApiProperty({ example: 100 }) limit!: number;
  @ApiProperty({ example: 0 }) offset!: number;
  @ApiProperty({ example: 1234 }) total!: number;
}
