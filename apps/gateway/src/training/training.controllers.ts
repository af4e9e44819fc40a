// HTTP for training data, training runs and model versions: the prototype's paths
// (/upload-training-data, /retrain, /training-status) and their /api/v1 equivalents.
import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiConsumes,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { Access } from '../auth/access.decorator';
import type { RequestWithPrincipal } from '../auth/principal';
import { ApiErrorDto, PageQueryDto } from '../common/dto';
import {
  ModelActionDto,
  ModelChangeDto,
  ModelListDto,
  ModelVersionDto,
  RetrainDto,
  TrainingRunDto,
  TrainingRunPageDto,
  TrainingStatusDto,
  TrainingUploadOutcomeDto,
} from './dto';
import { TrainingService } from './training.service';

type AuthedRequest = Request & RequestWithPrincipal;

@ApiTags('training (prototype)')
@Controller()
export class TrainingPrototypeController {
  constructor(private readonly training: TrainingService) {}

  @Post('upload-training-data')
  @HttpCode(200)
  @Access('screening')
  @ApiConsumes('multipart/form-data')
  @ApiOperation({
    summary:
      'Add labelled recordings: repeated "files" each followed by "labels" (normal|abnormal), or one "label", or a "manifest" CSV; optional "site"',
  })
  @ApiOkResponse({ type: TrainingUploadOutcomeDto })
  @ApiBadRequestResponse({
    type: ApiErrorDto,
    description: 'MISSING_LABEL, INVALID_LABEL, INVALID_SITE, NO_FILES',
  })
  async upload(@Req() request: AuthedRequest) {
    return this.training.addTrainingData(request, request.principal);
  }

  @Post('retrain')
  @HttpCode(202)
  @Access('admin')
  @ApiOperation({ summary: 'Start a training run (409 TRAINING_RUN_ACTIVE while one is queued or running)' })
  @ApiAcceptedResponse({ type: TrainingRunDto })
  @ApiConflictResponse({ type: ApiErrorDto, description: 'TRAINING_RUN_ACTIVE' })
  retrain(@Body() body: RetrainDto, @Req() request: AuthedRequest) {
    return this.training.startRetrain(body.params, request.principal);
  }

  @Get('training-status')
  @Access('read')
  @ApiOperation({
    summary: 'The current (or last) training run: status, progress 0-1, epoch, loss, metrics, ETA, log tail',
  })
  @ApiOkResponse({ type: TrainingStatusDto })
  status() {
    return this.training.status();
  }
}

@ApiTags('training')
@Controller('api/v1')
export class TrainingApiV1Controller {
  constructor(private readonly training: TrainingService) {}

  @Post('training-data')
  @HttpCode(200)
  @Access('screening')
  @ApiConsumes('multipart/form-data')
  @ApiOperation({ summary: 'Same as POST /upload-training-data' })
  @ApiOkResponse({ type: TrainingUploadOutcomeDto })
  @ApiBadRequestResponse({
    type: ApiErrorDto,
    description: 'MISSING_LABEL, INVALID_LABEL, INVALID_SITE, NO_FILES',
  })
  async upload(@Req() request: AuthedRequest) {
    return this.training.addTrainingData(request, request.principal);
  }

  @Post('training-runs')
  @HttpCode(202)
  @Access('admin')
  @ApiOperation({ summary: 'Start a training run (same as POST /retrain)' })
  @ApiAcceptedResponse({ type: TrainingRunDto })
  @ApiConflictResponse({ type: ApiErrorDto, description: 'TRAINING_RUN_ACTIVE' })
  retrain(@Body() body: RetrainDto, @Req() request: AuthedRequest) {
    return this.training.startRetrain(body.params, request.principal);
  }

  @Get('training-runs')
  @Access('read')
  @ApiOperation({ summary: 'Training runs, newest first' })
  @ApiOkResponse({ type: TrainingRunPageDto })
  list(@Query() page: PageQueryDto) {
    return this.training.listRuns(page);
  }

  @Get('training-status')
  @Access('read')
  @ApiOperation({
    summary: 'The current (or last) training run: status, progress 0-1, epoch, loss, metrics, ETA, log tail',
  })
  @ApiOkResponse({ type: TrainingStatusDto })
  status() {
    return this.training.status();
  }

  @Get('training-runs/:id')
  @Access('read')
  @ApiOperation({ summary: 'One training run with its progress, metrics, promotion decision and log' })
  @ApiOkResponse({ type: TrainingRunDto })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'TRAINING_RUN_NOT_FOUND' })
  get(@Param('id') id: string) {
    return this.training.getRun(id);
  }

  @Post('training-runs/:id/cancel')
  @HttpCode(202)
  @Access('admin')
  @ApiOperation({ summary: 'Cancel a queued run at once, or a running one at its next batch' })
  @ApiAcceptedResponse({ type: TrainingRunDto })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'TRAINING_RUN_NOT_FOUND' })
  @ApiConflictResponse({ type: ApiErrorDto, description: 'TRAINING_RUN_FINISHED' })
  cancel(@Param('id') id: string, @Req() request: AuthedRequest) {
    return this.training.cancel(id, request.principal);
  }

  @Get('models')
  @Access('read')
  @ApiOperation({ summary: 'Model versions with their status and metrics, newest first' })
  @ApiOkResponse({ type: ModelListDto })
  models() {
    return this.training.listModels();
  }

  @Post('models/rollback')
  @HttpCode(200)
  @Access('admin')
  @ApiOperation({ summary: 'Promote again the version that served before the current one' })
  @ApiOkResponse({ type: ModelChangeDto })
  @ApiConflictResponse({ type: ApiErrorDto, description: 'NO_PREVIOUS_VERSION' })
  rollback(@Body() body: ModelActionDto, @Req() request: AuthedRequest) {
    return this.training.rollback(body.reason, request.principal);
  }

  @Get('models/:version')
  @Access('read')
  @ApiOperation({ summary: 'One model version: status, metrics per subset, artifacts and audit trail' })
  @ApiOkResponse({ type: ModelVersionDto })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'MODEL_VERSION_NOT_FOUND' })
  model(@Param('version') version: string) {
    return this.training.getModel(version);
  }

  @Post('models/:version/promote')
  @HttpCode(200)
  @Access('admin')
  @ApiOperation({
    summary: 'Manual promotion (overrides the promotion policy; audited); inference workers hot-swap',
  })
  @ApiOkResponse({ type: ModelChangeDto })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'MODEL_VERSION_NOT_FOUND' })
  promote(@Param('version') version: string, @Body() body: ModelActionDto, @Req() request: AuthedRequest) {
    return this.training.promote(version, body.reason, request.principal);
  }

  @Post('models/:version/retire')
  @HttpCode(200)
  @Access('admin')
  @ApiOperation({
    summary: 'Withdraw a version that is not serving (409 MODEL_VERSION_PROMOTED for the serving one)',
  })
  @ApiOkResponse({ type: ModelVersionDto })
  @ApiConflictResponse({ type: ApiErrorDto, description: 'MODEL_VERSION_PROMOTED' })
  retire(@Param('version') version: string, @Body() body: ModelActionDto, @Req() request: AuthedRequest) {
    return this.training.retire(version, body.reason, request.principal);
  }
}
