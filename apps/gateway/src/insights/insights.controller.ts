// Prototype read endpoints: GET /metrics and /visualizations/*.
import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../auth/access.decorator';
import { ApiErrorDto } from '../common/dto';
import { PredictionHistoryQueryDto, PredictionPageDto } from '../screening/dto';
import {
  PredictionCountsDto,
  PredictionCountsQueryDto,
  ValidationCurvesDto,
  ValidationCurvesQueryDto,
} from './dto';
import { InsightsService, type ClassDistribution, type ModelMetricsReport } from './insights.service';

@ApiTags('model and visualizations (prototype)')
@Controller()
export class InsightsController {
  constructor(private readonly insights: InsightsService) {}

  @Get('metrics')
  @ApiOperation({
    summary:
      "The promoted model's evaluation figures (MAcc, AUC, sensitivity, specificity...) on its validation split, per subset, and the versions the workers serve",
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      example: {
        modelVersion: '1.6.0',
        status: 'promoted',
        promotedAt: '2026-12-02T10:00:00.000Z',
        createdAt: '2026-12-02T10:00:00.000Z',
        servedVersions: ['1.6.0'],
        evaluatedOn: { split: 'validation', recordings: 533 },
        macc: 0.885,
        auc: 0.957,
        sensitivity: 0.87,
        specificity: 0.899,
        metrics: { macc: 0.885, auc: 0.957, sensitivity: 0.87, specificity: 0.899 },
        perSubset: { 'training-a': { macc: 0.78, auc: 0.845 } },
      },
    },
  })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'NO_PROMOTED_MODEL' })
  metrics(): Promise<ModelMetricsReport> {
    return this.insights.modelMetrics();
  }

  @Get('visualizations/prediction-history')
  @ApiOperation({
    summary: 'Predictions, newest first (100 by default), filtered by label, date range or batch',
  })
  @ApiOkResponse({ type: PredictionPageDto })
  predictionHistory(@Query() query: PredictionHistoryQueryDto): Promise<PredictionPageDto> {
    return this.insights.predictionHistory(query);
  }

  // Registered before ApiV1Controller (app.module), so `counts` is not taken for a prediction id.
  @Get('api/v1/predictions/counts')
  @Access('read')
  @ApiTags('api/v1')
  @ApiOperation({
    summary:
      'Predictions per hour, day or week (UTC) by result over every prediction matching the filters (label, dates, batch, model version), counted in the database',
  })
  @ApiOkResponse({ type: PredictionCountsDto })
  predictionCounts(@Query() query: PredictionCountsQueryDto): Promise<PredictionCountsDto> {
    return this.insights.predictionCounts(query);
  }

  @Get('api/v1/models/:version/validation-curves')
  @Access('read')
  @ApiTags('api/v1')
  @ApiOperation({
    summary:
      "A model version's ROC curve and AUC, reliability diagram (10 bins) and expected calibration error on its validation split, overall or for one subset, with each subset's AUC",
  })
  @ApiOkResponse({ type: ValidationCurvesDto })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'MODEL_VERSION_NOT_FOUND' })
  validationCurves(
    @Param('version') version: string,
    @Query() query: ValidationCurvesQueryDto,
  ): Promise<ValidationCurvesDto> {
    return this.insights.validationCurves(version, query.subset);
  }

  @Get('visualizations/class-distribution')
  @ApiOperation({ summary: 'Training samples by label and succeeded predictions by label' })
  @ApiOkResponse({
    schema: {
      type: 'object',
      example: {
        training: { normal: 2575, abnormal: 665, total: 3240 },
        predictions: { normal: 40, abnormal: 9, unsure: 1, total: 50 },
      },
    },
  })
  classDistribution(): Promise<ClassDistribution> {
    return this.insights.classDistribution();
  }
}
