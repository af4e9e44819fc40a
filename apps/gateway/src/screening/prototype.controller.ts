// The prototype's screening endpoints, same paths and multipart field names: POST /predict (field
// `file`) and POST /batch-predict (field `files`).
import { Controller, Post, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Access } from '../auth/access.decorator';
import { ApiErrorDto } from '../common/dto';
import { sendReply } from '../common/reply';
import { BatchCreatedDto, PredictPendingDto, PredictResultDto } from './dto';
import { submissionContext } from './request-context';
import { SubmissionsService } from './submissions.service';
import { MultipartUpload } from './upload-docs';

@ApiTags('screening (prototype)')
@Controller()
export class PrototypeScreeningController {
  constructor(private readonly submissions: SubmissionsService) {}

  @Post('predict')
  @Access('screening')
  @ApiOperation({
    summary:
      'Screen one recording; waits for the result up to PREDICT_TIMEOUT_MS, then answers 202 with a URL to poll',
  })
  @MultipartUpload('file', 'The recording (WAV, FLAC, MP3 or OGG)')
  @ApiOkResponse({ type: PredictResultDto })
  @ApiAcceptedResponse({ type: PredictPendingDto, description: 'Still running; poll statusUrl' })
  @ApiUnprocessableEntityResponse({
    type: ApiErrorDto,
    description:
      'The recording cannot be screened (TOO_SHORT, CORRUPT_AUDIO, SILENT...), or UNKNOWN_SITE: the site named does not exist',
  })
  async predict(@Req() request: Request, @Res() response: Response): Promise<void> {
    sendReply(
      response,
      await this.submissions.predictUpload(request, submissionContext(request, 'POST /predict')),
    );
  }

  @Post('batch-predict')
  @Access('screening')
  @ApiOperation({ summary: 'Queue many recordings as one batch; poll GET /api/v1/batches/{id} for progress' })
  @MultipartUpload('files', 'The recordings, one part each')
  @ApiAcceptedResponse({ type: BatchCreatedDto })
  async batchPredict(@Req() request: Request, @Res() response: Response): Promise<void> {
    sendReply(
      response,
      await this.submissions.batchFromUploads(request, submissionContext(request, 'POST /batch-predict')),
    );
  }
}
