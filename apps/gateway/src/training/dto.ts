// Request bodies of the training and model endpoints (validated at the edge) and their answers.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
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

const UUID_EXAMPLE = '6f1c2f4e-8a9b-4c1d-9e2f-0a1b2c3d4e5f';
const TIME_EXAMPLE = '2026-12-07T12:00:00.000Z';
const FREE_FORM = { type: 'object', additionalProperties: true } as const;

export class TrainingRunDto {
  @ApiProperty({ example: UUID_EXAMPLE }) id!: string;
  @ApiProperty({ enum: ['retrain', 'calibration'] }) kind!: string;
  @ApiProperty({ enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] }) status!: string;
  @ApiProperty({ example: 0.4, description: '0 to 1' }) progress!: number;
  @ApiProperty({ nullable: true, type: String, description: 'Site of a calibration run' })
  site!: string | null;
  @ApiProperty({ nullable: true, type: Number, example: 4 }) epoch!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 10 }) epochs!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 0.41 }) loss!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 240, description: 'While running' })
  etaSeconds!: number | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '1.7.0',
    description: 'The version it produced',
  })
  modelVersion!: string | null;
  @ApiProperty({ ...FREE_FORM, description: 'Progress and evaluation figures, and the promotion decision' })
  metrics!: Record<string, unknown>;
  @ApiProperty({ type: [String], description: 'The last lines of the run log' }) logTail!: string[];
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({ ...FREE_FORM, example: { epochs: 20 } }) params!: Record<string, unknown>;
  @ApiProperty({ example: TIME_EXAMPLE }) createdAt!: string;
  @ApiProperty({ nullable: true, type: String, example: TIME_EXAMPLE }) startedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, example: TIME_EXAMPLE }) finishedAt!: string | null;
}

export class TrainingRunPageDto {
  @ApiProperty({ type: [TrainingRunDto] }) items!: TrainingRunDto[];
  @ApiProperty({ example: 12 }) total!: number;
  @ApiProperty({ example: 50 }) limit!: number;
  @ApiProperty({ example: 0 }) offset!: number;
}

export class TrainingStatusDto {
  @ApiProperty({ type: TrainingRunDto, nullable: true, description: 'Null before the first run' })
  run!: TrainingRunDto | null;
}

export class TrainingUploadAcceptedDto {
  @ApiProperty({ example: 0 }) index!: number;
  @ApiProperty({ example: 'a0001.wav' }) fileName!: string;
  @ApiProperty({ enum: ['normal', 'abnormal'] }) label!: string;
  @ApiProperty({ example: 'c0ffee'.padEnd(64, '0') }) sha256!: string;
  @ApiProperty({ example: UUID_EXAMPLE }) recordingId!: string;
  @ApiProperty({ nullable: true, type: String, example: 'hospital-a' }) site!: string | null;
}

export class TrainingUploadDuplicateDto {
  @ApiProperty({ example: 1 }) index!: number;
  @ApiProperty({ example: 'a0001-copy.wav' }) fileName!: string;
  @ApiProperty({ example: 'c0ffee'.padEnd(64, '0') }) sha256!: string;
  @ApiProperty() message!: string;
}

export class TrainingUploadRejectedDto {
  @ApiProperty({ example: 2 }) index!: number;
  @ApiProperty({ example: 'notes.txt' }) fileName!: string;
  @ApiProperty({ example: 'UNSUPPORTED_FORMAT' }) code!: string;
  @ApiProperty() message!: string;
}

export class SampleCountsDto {
  @ApiProperty({ example: 1_600 }) normal!: number;
  @ApiProperty({ example: 420 }) abnormal!: number;
}

export class TrainingUploadOutcomeDto {
  @ApiProperty({ type: [TrainingUploadAcceptedDto] }) accepted!: TrainingUploadAcceptedDto[];
  @ApiProperty({ type: [TrainingUploadDuplicateDto] }) duplicates!: TrainingUploadDuplicateDto[];
  @ApiProperty({ type: [TrainingUploadRejectedDto] }) rejected!: TrainingUploadRejectedDto[];
  @ApiProperty({ type: SampleCountsDto, description: 'Training samples per label after this upload' })
  samples!: SampleCountsDto;
}

export class ModelVersionDto {
  @ApiProperty({ example: '1.6.0' }) version!: string;
  @ApiProperty({ enum: ['candidate', 'promoted', 'retired', 'rejected'] }) status!: string;
  @ApiProperty({ nullable: true, type: String }) statusReason!: string | null;
  @ApiProperty({ ...FREE_FORM, description: 'Validation figures, overall and per subset' })
  metrics!: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: String }) datasetFingerprint!: string | null;
  @ApiProperty({ ...FREE_FORM, nullable: true }) calibration!: Record<string, unknown> | null;
  @ApiProperty({ ...FREE_FORM, description: 'Object-storage keys of the version files' })
  artifactKeys!: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: String, example: UUID_EXAMPLE }) trainingRunId!: string | null;
  @ApiProperty({ example: TIME_EXAMPLE }) createdAt!: string;
  @ApiProperty({ nullable: true, type: String, example: TIME_EXAMPLE }) promotedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, example: TIME_EXAMPLE }) retiredAt!: string | null;
}

export class ModelListDto {
  @ApiProperty({ type: [ModelVersionDto] }) items!: ModelVersionDto[];
}

export class ModelChangeDto {
  @ApiProperty({ type: ModelVersionDto, description: 'The version serving now' }) promoted!: ModelVersionDto;
  @ApiProperty({ nullable: true, type: String, example: '1.5.0' }) previousVersion!: string | null;
  @ApiProperty({ description: 'False when the version was already serving' }) changed!: boolean;
}
