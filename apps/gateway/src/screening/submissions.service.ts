// The write side of screening, as the controllers see it: read the upload, stage it, submit it, all
// under the request's Idempotency-Key so a retried POST gets the first answer and creates nothing.
import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@heartbeat/config';
import { ApiError } from '../common/api-error';
import type { Reply } from '../common/reply';
import { CONFIG } from '../common/tokens';
import { IdempotencyService, idempotencyScope } from '../idempotency/idempotency.service';
import { readMultipartFiles } from '../uploads/multipart';
import { pairWfdbParts } from '../uploads/wfdb-parts';
import { UploadsService } from '../uploads/uploads.service';
import { SiteResolver } from '../sites/site-resolver';
import { UPLOAD_GATHER_MS } from './batch-intake';
import { ScreeningService, type Submitter } from './screening.service';

export interface SubmissionContext {
  /** Route template, part of the idempotency scope. */
  route: string;
  keyId?: string;
  idempotencyKey?: string;
  /** X-HeartBeat-Site, as sent. */
  siteHeader?: string | string[];
}

@Injectable()
export class SubmissionsService {
  constructor(
    @Inject(UploadsService) private readonly uploads: UploadsService,
    @Inject(ScreeningService) private readonly screening: ScreeningService,
    @Inject(IdempotencyService) private readonly idempotency: IdempotencyService,
    @Inject(SiteResolver) private readonly siteResolver: Pick<SiteResolver, 'resolve'>,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /** POST /predict: one file in the field `file`. */
  predictUpload(request: IncomingMessage, context: SubmissionContext): Promise<Reply> {
    return this.idempotency.run(this.scope(context), async () => {
      this.assertContentLength(request, 1);
      const form = siteField();
      // Two parts at most: a WFDB record is its .hea and its .dat, which pairWfdbParts joins into one recording.
      const maxFileBytes = this.config.gateway.maxUploadBytes;
      const files = pairWfdbParts(
        readMultipartFiles(request, {
          fieldNames: ['file'],
          maxFiles: 2,
          maxFileBytes,
          onField: form.onField,
        }),
        maxFileBytes,
      );
      try {
        const first = await files.next();
        if (first.done)
          throw new ApiError(
            400,
            'NO_FILES',
            'No recording in the request: send it in the multipart field "file".',
          );
        const staged = await this.uploads.stageOne(first.value);
        const rest = await files.next();
        if (!rest.done)
          throw new ApiError(
            413,
            'TOO_MANY_FILES',
            'POST /predict takes one recording; use /batch-predict or /api/v1/batches for several.',
          );
        const site = await this.siteResolver.resolve({
          field: form.value,
          header: context.siteHeader,
          keyId: context.keyId,
        });
        return await this.screening.predict(staged, { keyId: context.keyId, site });
      } finally {
        await files.return(undefined);
      }
    });
  }

  /**
   * POST /batch-predict and multipart POST /api/v1/batches: many files in the field `files`. Each
   * file is queued as soon as it is stored, so screening overlaps the rest of the upload.
   */
  batchFromUploads(request: IncomingMessage, context: SubmissionContext): Promise<Reply> {
    const scope = this.scope(context);
    return this.idempotency.run(scope, async () => {
      const maxFiles = this.config.gateway.maxBatchFiles;
      this.assertContentLength(request, maxFiles);
      const submitter: Submitter = { keyId: context.keyId };
      // Files keep arriving while a group is written, so a group may wait for more (UPLOAD_GATHER_MS).
      const intake = await this.screening.receiveBatch(submitter, idempotencyScope(scope), {
        gatherMs: UPLOAD_GATHER_MS,
      });
      // A retry of a batch that exists: answer with it without storing the upload again.
      if (intake.alreadySubmitted) return intake.finish();
      const form = siteField();
      const maxFileBytes = this.config.gateway.maxUploadBytes;
      const files = pairWfdbParts(
        readMultipartFiles(request, {
          fieldNames: ['files', 'files[]', 'file'],
          maxFiles,
          maxFileBytes,
          onField: form.onField,
        }),
        maxFileBytes,
      );
      // The site field comes before the files, so it is known when the first file is accepted; the
      // intake reads the submitter's site as it queues each file.
      let resolving: Promise<void> | undefined;
      const resolveSite = () =>
        (resolving ??= this.siteResolver
          .resolve({ field: form.value, header: context.siteHeader, keyId: context.keyId })
          .then((site) => void (submitter.site = site)));
      try {
        await this.uploads.stageAll(files, async (result) => {
          await resolveSite();
          return 'code' in result ? intake.reject(result) : intake.accept(result);
        });
        await resolveSite();
        return await intake.finish();
      } catch (error) {
        await intake.abandon();
        throw error;
      }
    });
  }

  /** JSON POST /api/v1/batches: recordings already in the bucket, by key. */
  batchFromKeys(keys: string[], context: SubmissionContext, siteField?: string): Promise<Reply> {
    return this.idempotency.run(this.scope(context), async () => {
      const maxFiles = this.config.gateway.maxBatchFiles;
      if (keys.length > maxFiles)
        throw new ApiError(
          413,
          'TOO_MANY_FILES',
          `Too many recordings: at most ${maxFiles} per batch (MAX_BATCH_FILES), got ${keys.length}.`,
          { maxFiles },
        );
      const site = await this.siteResolver.resolve({
        field: siteField,
        header: context.siteHeader,
        keyId: context.keyId,
      });
      const outcome = await this.uploads.stageStoredKeys(keys);
      return this.screening.submitBatch(
        outcome,
        { keyId: context.keyId, site },
        idempotencyScope(this.scope(context)),
      );
    });
  }

  private scope(context: SubmissionContext) {
    return { key: context.idempotencyKey, route: context.route, caller: context.keyId ?? 'anonymous' };
  }

  /** Refuses a body that cannot fit the limits before reading any of it. */
  private assertContentLength(request: IncomingMessage, maxFiles: number): void {
    const length = Number(request.headers['content-length']);
    // Multipart framing adds a few hundred bytes per file on top of the files themselves.
    const ceiling = maxFiles * (this.config.gateway.maxUploadBytes + 64 * 1024);
    if (Number.isFinite(length) && length > ceiling)
      throw new ApiError(
        413,
        maxFiles === 1 ? 'FILE_TOO_LARGE' : 'PAYLOAD_TOO_LARGE',
        `The request body of ${length} bytes exceeds the limit (MAX_UPLOAD_BYTES ${this.config.gateway.maxUploadBytes} per file, MAX_BATCH_FILES ${this.config.gateway.maxBatchFiles}).`,
        {
          maxUploadBytes: this.config.gateway.maxUploadBytes,
        },
      );
  }
}

/** Collects the multipart field `site`, which must come before the files it applies to. */
function siteField(): { value?: string; onField: (name: string, value: string, filesSoFar: number) => void } {
  const form: { value?: string; onField: (name: string, value: string, filesSoFar: number) => void } = {
    onField: (name, value, filesSoFar) => {
      if (name !== 'site') return;
      if (filesSoFar > 0)
        throw new ApiError(
          400,
          'SITE_FIELD_AFTER_FILES',
          'The field "site" came after the recordings it should apply to: send it before the files, or use the header X-HeartBeat-Site.',
        );
      form.value = value;
    },
  };
  return form;
}
