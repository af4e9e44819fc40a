// HTTP for sites: create and describe them, their calibrations (the fitted decision and its local
// sensitivity and specificity), starting a calibration, and an API key's default site.
import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put, Query, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { Access } from '../auth/access.decorator';
import type { RequestWithPrincipal } from '../auth/principal';
import { ApiErrorDto, PageQueryDto } from '../common/dto';
import { IdParamDto } from '../screening/dto';
import { TrainingRunDto } from '../training/dto';
import {
  ApiKeySiteDto,
  CreateSiteDto,
  SiteCalibrationDto,
  SiteCalibrationPageDto,
  SiteCalibrationRequestDto,
  SiteDto,
  SiteListDto,
  SiteNameParamDto,
  StartSiteCalibrationDto,
  UpdateSiteDto,
} from './dto';
import { SitesService } from './sites.service';

type AuthedRequest = Request & RequestWithPrincipal;

const CALIBRATION_REFUSED =
  'SITE_RECORDS_ONE_CLASS (labelled recordings of one class only) or SITE_RECORDS_TOO_FEW (fewer than 5 of a class or 20 in all); the model-dependent refusals (SITE_RANKING_INVERTED, SITE_RANKING_TOO_WEAK) end the run failed with that code';

@ApiTags('sites')
@Controller('api/v1')
export class SitesController {
  constructor(private readonly sites: SitesService) {}

  @Post('sites')
  @Access('admin')
  @ApiOperation({
    summary: 'Create a site',
    description:
      "A site is a place with its own stethoscope and population. Screening requests that name it (multipart field `site`, header X-HeartBeat-Site, or the API key's default site) are decided with its calibration, on top of the promoted model.",
  })
  @ApiCreatedResponse({ type: SiteDto })
  @ApiBadRequestResponse({
    type: ApiErrorDto,
    description: 'VALIDATION_FAILED: the name is not 1-40 letters, digits or dashes',
  })
  @ApiConflictResponse({ type: ApiErrorDto, description: 'SITE_EXISTS' })
  create(@Body() body: CreateSiteDto, @Req() request: AuthedRequest): Promise<SiteDto> {
    return this.sites.create(body, request.principal);
  }

  @Get('sites')
  @Access('read')
  @ApiOperation({
    summary:
      'Sites with their labelled records, the calibration in force (fitted decision, local sensitivity and specificity) and status',
  })
  @ApiOkResponse({ type: SiteListDto })
  list(): Promise<{ items: SiteDto[] }> {
    return this.sites.list();
  }

  @Get('sites/:name')
  @Access('read')
  @ApiOperation({ summary: 'One site: its labelled records, the calibration in force and its status' })
  @ApiOkResponse({ type: SiteDto })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'SITE_NOT_FOUND' })
  get(@Param() { name }: SiteNameParamDto): Promise<SiteDto> {
    return this.sites.get(name);
  }

  @Patch('sites/:name')
  @Access('admin')
  @ApiOperation({ summary: "Change a site's device or owner" })
  @ApiOkResponse({ type: SiteDto })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'SITE_NOT_FOUND' })
  update(
    @Param() { name }: SiteNameParamDto,
    @Body() body: UpdateSiteDto,
    @Req() request: AuthedRequest,
  ): Promise<SiteDto> {
    return this.sites.update(name, body, request.principal);
  }

  @Get('sites/:name/calibration')
  @Access('read')
  @ApiOperation({
    summary:
      'The calibration in force at the site: fitted slope, intercept and threshold, local sensitivity and specificity with their lower bounds',
  })
  @ApiOkResponse({ type: SiteCalibrationDto })
  @ApiNotFoundResponse({
    type: ApiErrorDto,
    description:
      'SITE_NOT_FOUND, or SITE_NOT_CALIBRATED (details.lastAttempt holds the last refused fit, if any)',
  })
  activeCalibration(@Param() { name }: SiteNameParamDto): Promise<SiteCalibrationDto> {
    return this.sites.activeCalibration(name);
  }

  @Get('sites/:name/calibrations')
  @Access('read')
  @ApiOperation({ summary: "The site's calibrations, newest first: active, superseded and refused fits" })
  @ApiOkResponse({ type: SiteCalibrationPageDto })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'SITE_NOT_FOUND' })
  calibrations(
    @Param() { name }: SiteNameParamDto,
    @Query() page: PageQueryDto,
  ): Promise<SiteCalibrationPageDto> {
    return this.sites.calibrations(name, page);
  }

  @Post('sites/:name/calibrations')
  @HttpCode(202)
  @Access('admin')
  @ApiOperation({
    summary:
      "Fit the site's operating point on all its labelled recordings (a training run of kind calibration)",
    description:
      "Scores every labelled recording uploaded with this site tag with the promoted model and keeps sensitivity first: the threshold is the highest that still detects n*target + z*sqrt(n*target*(1-target)) of the n abnormal ones (target = the model's validation sensitivity minus sensitivityMargin). The new calibration takes over from the previous one at once, in every inference worker, without a model swap; it stays in force when another model is promoted (re-fit it with this endpoint).",
  })
  @ApiAcceptedResponse({
    type: TrainingRunDto,
    description: 'The training run (poll GET /api/v1/training-runs/{id})',
  })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'SITE_NOT_FOUND' })
  @ApiConflictResponse({ type: ApiErrorDto, description: 'TRAINING_RUN_ACTIVE' })
  @ApiUnprocessableEntityResponse({ type: ApiErrorDto, description: CALIBRATION_REFUSED })
  calibrate(
    @Param() { name }: SiteNameParamDto,
    @Body() body: StartSiteCalibrationDto,
    @Req() request: AuthedRequest,
  ) {
    return this.sites.startCalibration(name, body, request.principal);
  }

  @Post('site-calibrations')
  @HttpCode(202)
  @Access('admin')
  @ApiOperation({ summary: 'Same as POST /api/v1/sites/{site}/calibrations, with the site in the body' })
  @ApiAcceptedResponse({ type: TrainingRunDto, description: 'The training run' })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'SITE_NOT_FOUND' })
  @ApiConflictResponse({ type: ApiErrorDto, description: 'TRAINING_RUN_ACTIVE' })
  @ApiUnprocessableEntityResponse({ type: ApiErrorDto, description: CALIBRATION_REFUSED })
  calibrateBySiteField(@Body() { site, ...body }: SiteCalibrationRequestDto, @Req() request: AuthedRequest) {
    return this.sites.startCalibration(site, body, request.principal);
  }

  @Put('api-keys/:id/site')
  @Access('admin')
  @ApiOperation({
    summary: "Set (or clear, with null) the site an API key's screening requests use when they name none",
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: { keyId: { type: 'string' }, site: { type: 'string', nullable: true } },
    },
  })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'SITE_NOT_FOUND or API_KEY_NOT_FOUND' })
  setKeySite(@Param() { id }: IdParamDto, @Body() body: ApiKeySiteDto, @Req() request: AuthedRequest) {
    return this.sites.setKeyDefaultSite(id, body.site, request.principal);
  }
}
