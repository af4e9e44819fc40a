// Request and response bodies of the site endpoints, validated at the edge and documented in OpenAPI.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { SITE_NAME_PATTERN } from '@heartbeat/queue';

const SITE_NAME_MESSAGE = 'site must be 1-40 letters, digits or dashes, starting with a letter or digit';

export class CreateSiteDto {
  @ApiProperty({
    example: 'st-marys-cardiology',
    description: 'The site tag requests and uploads name it by (1-40 letters, digits, dashes)',
  })
  @IsString()
  @Matches(SITE_NAME_PATTERN, { message: SITE_NAME_MESSAGE })
  name!: string;

  @ApiPropertyOptional({
    example: 'Littmann 3200, filter mode "extended"',
    description: 'The stethoscope (or recorder) used there',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  device?: string;

  @ApiPropertyOptional({
    example: 'Dr A. Osei, paediatric cardiology',
    description: 'Who answers for the site',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  owner?: string;
}

export class UpdateSiteDto {
  @ApiPropertyOptional({ example: 'Eko Duo' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  device?: string;

  @ApiPropertyOptional({ example: 'cardiology ward 3' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  owner?: string;
}

export class StartSiteCalibrationDto {
  @ApiPropertyOptional({
    minimum: 0,
    maximum: 0.5,
    default: 0.05,
    description: "How far below the model's validation sensitivity the site's local sensitivity may go",
  })
  @IsOptional()
  @Type(() => Number)
  @IsNumber()
  @Min(0)
  @Max(0.5)
  sensitivityMargin?: number;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 3,
    default: 1,
    description:
      'Standard errors of room above that target for the local counts: the threshold must detect n*target + z*sqrt(n*target*(1-target)) of the n abnormal records',
  })
  @IsOptional()
  @Type(() => Number)
  @IsNumber()
  @Min(0)
  @Max(3)
  confidenceZ?: number;
}

/** POST /api/v1/site-calibrations (the site in the body). */
export class SiteCalibrationRequestDto extends StartSiteCalibrationDto {
  @ApiProperty({ example: 'st-marys-cardiology', description: 'A site created with POST /api/v1/sites' })
  @IsString()
  @Matches(SITE_NAME_PATTERN, { message: SITE_NAME_MESSAGE })
  site!: string;
}

export class ApiKeySiteDto {
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'st-marys-cardiology',
    description: "The key's default site, or null to clear it",
  })
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @Matches(SITE_NAME_PATTERN, { message: SITE_NAME_MESSAGE })
  site!: string | null;
}

export class SiteNameParamDto {
  @ApiProperty({ example: 'st-marys-cardiology' })
  @IsString()
  @Matches(SITE_NAME_PATTERN, { message: SITE_NAME_MESSAGE })
  name!: string;
}

export class SiteDecisionDto {
  @ApiProperty({ example: 1.12, description: 'p_site = sigmoid(slope * logit(p_model) + intercept)' })
  slope!: number;
  @ApiProperty({ example: -1.4 }) intercept!: number;
  @ApiProperty({ example: 0.41, description: 'Abnormal when p_site >= threshold' }) threshold!: number;
}

export class SiteLocalFiguresDto {
  @ApiProperty({
    example: 0.933,
    description: 'Local sensitivity at the site threshold, on all the records used (resubstitution)',
  })
  sensitivity!: number;
  @ApiProperty({ example: 0.6 }) specificity!: number;
  @ApiProperty({ example: 0.74, description: 'One-sided 95 % Wilson lower bound' })
  sensitivityLowerBound!: number;
  @ApiProperty({ example: 0.39 }) specificityLowerBound!: number;
  @ApiProperty({ example: 0.82, description: 'The model’s ranking of the site’s records' }) auc!: number;
  @ApiProperty({ example: 0.67, description: 'One-sided 95 % lower bound of the AUC (Hanley-McNeil)' })
  aucLowerBound!: number;
  @ApiProperty({ example: 0.82, description: "The model's validation sensitivity minus the margin" })
  targetSensitivity!: number;
  @ApiProperty({ example: 1, description: "The model's own threshold on the same records" })
  modelSensitivity!: number;
  @ApiProperty({ example: 0.07 }) modelSpecificity!: number;
}

export class SiteRecordCountsDto {
  @ApiProperty({ example: 15 }) normal!: number;
  @ApiProperty({ example: 15 }) abnormal!: number;
}

export class CalibrationRefusalDto {
  @ApiProperty({
    enum: [
      'SITE_RECORDS_ONE_CLASS',
      'SITE_RECORDS_TOO_FEW',
      'SITE_RANKING_INVERTED',
      'SITE_RANKING_TOO_WEAK',
    ],
  })
  code!: string;
  @ApiProperty({ example: 'The site has abnormal records only; upload normal ones too.' }) reason!: string;
}

export class SiteCalibrationDto {
  @ApiProperty({ example: '0d8f6f1e-4a51-4f0e-9a43-5cbb1f1f7a10' }) id!: string;
  @ApiProperty({ enum: ['active', 'superseded', 'refused'] }) status!: string;
  @ApiProperty({
    example: '1.6.0',
    description: 'The model whose scores it was fitted on; it stays in force when another model is promoted',
  })
  baseModelVersion!: string;
  @ApiProperty({ type: SiteDecisionDto, nullable: true }) decision!: SiteDecisionDto | null;
  @ApiProperty({
    type: SiteRecordCountsDto,
    description: 'Labelled local recordings the decision was fitted on (all of them)',
  })
  records!: { normal: number; abnormal: number };
  @ApiProperty({ type: SiteLocalFiguresDto, nullable: true }) local!: SiteLocalFiguresDto | null;
  @ApiProperty({
    type: CalibrationRefusalDto,
    nullable: true,
    description: 'Why a fit was refused: its code and the reason in words',
  })
  refusal!: { code: string; reason: string } | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) metrics!: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: String }) trainingRunId!: string | null;
  @ApiProperty() createdAt!: string;
}

export class SiteDto {
  @ApiProperty({ example: 'st-marys-cardiology' }) name!: string;
  @ApiProperty({ nullable: true, type: String }) device!: string | null;
  @ApiProperty({ nullable: true, type: String }) owner!: string | null;
  @ApiProperty({ type: SiteRecordCountsDto, description: 'Labelled recordings uploaded with this site tag' })
  records!: { normal: number; abnormal: number };
  @ApiProperty({
    enum: ['uncalibrated', 'calibrated', 'refused'],
    description:
      "calibrated: its requests use its calibration; refused: the last fit was refused (requests use the previous calibration, if any, else the model's own decision)",
  })
  status!: string;
  @ApiProperty({ type: SiteCalibrationDto, nullable: true, description: 'The calibration in force' })
  calibration!: SiteCalibrationDto | null;
  @ApiProperty({
    type: SiteCalibrationDto,
    nullable: true,
    description: 'The last refused fit, when it is newer than the calibration in force',
  })
  lastRefusal!: SiteCalibrationDto | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class SiteListDto {
  @ApiProperty({ type: [SiteDto] }) items!: SiteDto[];
}

export class SiteCalibrationPageDto {
  @ApiProperty({ type: [SiteCalibrationDto] }) items!: SiteCalibrationDto[];
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
  @ApiProperty() total!: number;
}
