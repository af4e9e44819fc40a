// The versioned API for integrators: batches (multipart or S3 keys), their progress and results
// (JSON or CSV), single predictions, recording downloads and the dead-letter queue.
import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiConsumes,
  ApiExtraModels,
  ApiFoundResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Access } from '../auth/access.decorator';
import { ApiErrorDto, PageQueryDto } from '../common/dto';
import { sendReply } from '../common/reply';
import { validateBody } from '../common/validation';
import { isMultipart } from '../uploads/multipart';
import {
  BatchCreatedDto,
  BatchResultsDto,
  BatchResultsQueryDto,
  BatchStatusDto,
  CreateBatchFromKeysDto,
  DeadLetterPageDto,
  DownloadLinkDto,
  DownloadQueryDto,
  IdParamDto,
  PredictionDto,
  PredictionQueryDto,
} from './dto';
import { FHIR_JSON } from '@heartbeat/contracts';
import type { DiagnosticReport, Observation } from '@medplum/fhirtypes';
import { DeadLetterService } from './dead-letter.service';
import { submissionContext } from './request-context';
import { ScreeningService } from './screening.service';
import { SubmissionsService } from './submissions.service';
import { IdempotencyKeyHeader, SiteHeader } from './upload-docs';

function wants(request: Request, type: string): boolean {
  return (request.headers.accept ?? '').toLowerCase().includes(type);
}

/** A FHIR R4 resource of one type, as the OpenAPI document describes it (the FHIR schema has the rest). */
function fhirResourceSchema(resourceType: 'DiagnosticReport' | 'Observation') {
  return {
    type: 'object' as const,
    description: `A FHIR R4 ${resourceType} (https://hl7.org/fhir/R4/${resourceType.toLowerCase()}.html)`,
    required: ['resourceType'],
    properties: { resourceType: { type: 'string' as const, enum: [resourceType] } },
    additionalProperties: true,
  };
}

@ApiTags('api/v1')
@ApiExtraModels(CreateBatchFromKeysDto)
@Controller('api/v1')
export class ApiV1Controller {
  constructor(
    private readonly submissions: SubmissionsService,
    private readonly screening: ScreeningService,
    private readonly deadLetter: DeadLetterService,
  ) {}

  @Post('batches')
  @Access('screening')
  @ApiOperation({
    summary: 'Create a screening batch',
    description:
      'multipart/form-data with the recordings in the field `files` (streamed to storage), or application/json `{"keys": [...]}` naming recordings already in the bucket. Always asynchronous: poll statusUrl.',
  })
  @ApiConsumes('multipart/form-data', 'application/json')
  @ApiBody({
    schema: {
      oneOf: [
        {
          type: 'object',
          properties: {
            site: {
              type: 'string',
              description:
                "Decide with this site's calibration (before the files; or the header X-HeartBeat-Site)",
            },
            files: { type: 'array', items: { type: 'string', format: 'binary' } },
          },
        },
        { $ref: getSchemaPath(CreateBatchFromKeysDto) },
      ],
    },
  })
  @IdempotencyKeyHeader()
  @SiteHeader()
  @ApiAcceptedResponse({ type: BatchCreatedDto })
  async createBatch(
    @Req() request: Request,
    @Res() response: Response,
    @Body() body: unknown,
  ): Promise<void> {
    const context = submissionContext(request, 'POST /api/v1/batches');
    const reply = isMultipart(request)
      ? await this.submissions.batchFromUploads(request, context)
      : await this.batchFromKeys(body, context);
    sendReply(response, reply);
  }

  private async batchFromKeys(body: unknown, context: ReturnType<typeof submissionContext>) {
    const { keys, site } = await validateBody(CreateBatchFromKeysDto, body);
    return this.submissions.batchFromKeys(keys, context, site);
  }

  @Get('batches/:id')
  @ApiOperation({ summary: 'Batch status and progress (done / failed / total)' })
  @ApiOkResponse({ type: BatchStatusDto })
  @ApiNotFoundResponse({ type: ApiErrorDto })
  getBatch(@Param() { id }: IdParamDto): Promise<BatchStatusDto> {
    return this.screening.getBatch(id);
  }

  @Get('batches/:id/results')
  @ApiOperation({
    summary:
      'Batch results, as JSON pages, as one CSV (?format=csv or Accept: text/csv) or as a FHIR R4 DiagnosticReport (?format=fhir or Accept: application/fhir+json)',
  })
  @ApiExtraModels(BatchResultsDto)
  @ApiOkResponse({
    content: {
      'application/json': { schema: { $ref: getSchemaPath(BatchResultsDto) } },
      'text/csv': { schema: { type: 'string', description: 'One row per recording, with a header row' } },
      [FHIR_JSON]: { schema: fhirResourceSchema('DiagnosticReport') },
    },
  })
  @ApiNotFoundResponse({ type: ApiErrorDto })
  async getBatchResults(
    @Param() { id }: IdParamDto,
    @Query() query: BatchResultsQueryDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<BatchResultsDto | string | DiagnosticReport> {
    if (query.format === 'fhir' || (query.format === undefined && wants(request, FHIR_JSON))) {
      response.setHeader('Content-Type', `${FHIR_JSON}; charset=utf-8`);
      return this.screening.getBatchReportFhir(id);
    }
    if (query.format === 'csv' || (query.format === undefined && wants(request, 'text/csv'))) {
      const csv = await this.screening.getBatchResultsCsv(id);
      response.setHeader('Content-Type', 'text/csv; charset=utf-8');
      response.setHeader('Content-Disposition', `attachment; filename="batch-${id}.csv"`);
      return csv;
    }
    return this.screening.getBatchResults(id, query);
  }

  @Get('predictions/:id')
  @ApiOperation({
    summary:
      'One prediction (poll this after a 202 from /predict); a FHIR R4 Observation with ?format=fhir or Accept: application/fhir+json',
  })
  @ApiExtraModels(PredictionDto)
  @ApiOkResponse({
    content: {
      'application/json': { schema: { $ref: getSchemaPath(PredictionDto) } },
      [FHIR_JSON]: { schema: fhirResourceSchema('Observation') },
    },
  })
  @ApiNotFoundResponse({ type: ApiErrorDto })
  getPrediction(
    @Param() { id }: IdParamDto,
    @Query() query: PredictionQueryDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<PredictionDto | Observation> {
    if (query.format === 'fhir' || (query.format === undefined && wants(request, FHIR_JSON))) {
      response.setHeader('Content-Type', `${FHIR_JSON}; charset=utf-8`);
      return this.screening.getPredictionFhir(id);
    }
    return this.screening.getPrediction(id);
  }

  @Get('recordings/:id/download')
  @Access('recording')
  @ApiOperation({
    summary:
      'Download a recording: redirects to a presigned URL (or returns it with ?format=json / Accept: application/json)',
  })
  @ApiFoundResponse({ description: 'Redirect to the presigned URL' })
  @ApiOkResponse({ type: DownloadLinkDto })
  @ApiNotFoundResponse({ type: ApiErrorDto })
  async downloadRecording(
    @Param() { id }: IdParamDto,
    @Query() query: DownloadQueryDto,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const link = await this.screening.getRecordingDownload(id);
    if (query.format === 'json' || (query.format === undefined && wants(request, 'application/json')))
      sendReply(response, { status: 200, body: link });
    else response.redirect(302, link.url);
  }

  @Get('dead-letter')
  @Access('admin')
  @ApiOperation({ summary: 'Jobs that exhausted their retries or were refused as invalid (admin)' })
  @ApiOkResponse({ type: DeadLetterPageDto })
  listDeadLetter(@Query() page: PageQueryDto): Promise<DeadLetterPageDto> {
    return this.deadLetter.list(page);
  }
}
