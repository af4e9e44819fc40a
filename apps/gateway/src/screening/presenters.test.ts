import { describe, expect, it } from 'vitest';
import type { Batch } from '@heartbeat/db';
import { csvRecord, presentBatch, rejectedCsvRecord } from './presenters';

describe('presentBatch', () => {
  it('reports progress as done / total with pending the rest', () => {
    const batch = {
      id: 'b',
      status: 'running',
      totalCount: 4,
      succeededCount: 2,
      failedCount: 1,
      createdAt: new Date(0),
      finishedAt: null,
    } as Batch;
    expect(presentBatch(batch)).toMatchObject({
      total: 4,
      done: 3,
      pending: 1,
      progress: 0.75,
      statusUrl: '/api/v1/batches/b',
    });
  });
});

describe('batch CSV rows', () => {
  it('puts a rejected file in the file name, status and error columns only', () => {
    expect(rejectedCsvRecord({ fileName: 'x.png', code: 'UNSUPPORTED_FORMAT', message: 'a PNG' })).toEqual({
      file_name: 'x.png',
      status: 'rejected',
      error_code: 'UNSUPPORTED_FORMAT',
      error_message: 'a PNG',
    });
  });

  it('maps a prediction onto the twelve export columns', () => {
    const row = csvRecord({
      id: 'p',
      recordingId: 'r',
      fileName: 'a.wav',
      status: 'succeeded',
      label: 'normal',
      probability: 0.1,
      quality: 0.9,
      modelVersion: '1.6.0',
      error: null,
      createdAt: 'c',
      completedAt: 'd',
    } as never);
    expect(Object.keys(row)).toHaveLength(12);
    expect(row).toMatchObject({
      prediction_id: 'p',
      file_name: 'a.wav',
      label: 'normal',
      probability: 0.1,
      error_code: undefined,
    });
  });
});
