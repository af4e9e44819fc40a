import { describe, expect, it } from 'vitest';
import { failAbandonedPrediction, failedForGood } from './abandoned-jobs';

const stalled = Object.assign(new Error('job stalled more than allowable limit'), {
  name: 'UnrecoverableError',
});

function screening() {
  const calls: { id: string; batchId?: string; code: string }[] = [];
  return {
    calls,
    failPrediction: async (id: string, batchId: string | undefined, failure: { code: string }) => {
      calls.push({ id, batchId, code: failure.code });
      return true;
    },
  };
}

describe('failAbandonedPrediction', () => {
  it('fails the pending prediction of a job BullMQ failed for good as stalled (a poison recording)', async () => {
    const repository = screening();
    const job = { data: { predictionId: 'p1', batchId: 'b1' }, attemptsMade: 1, opts: { attempts: 3 } };
    expect(await failAbandonedPrediction(repository, job, stalled)).toBe(true);
    expect(repository.calls).toEqual([{ id: 'p1', batchId: 'b1', code: 'PREDICTION_FAILED' }]);
  });

  it('leaves a job that will be tried again alone', async () => {
    const repository = screening();
    const job = { data: { predictionId: 'p1' }, attemptsMade: 1, opts: { attempts: 3 } };
    expect(await failAbandonedPrediction(repository, job, new Error('S3 timeout'))).toBe(false);
    expect(failedForGood(job, new Error('S3 timeout'))).toBe(false);
    expect(repository.calls).toEqual([]);
  });

  it('covers the last attempt and ignores payloads without a prediction', async () => {
    const repository = screening();
    const last = { data: { predictionId: 'p2' }, attemptsMade: 3, opts: { attempts: 3 } };
    expect(await failAbandonedPrediction(repository, last, new Error('boom'))).toBe(true);
    expect(await failAbandonedPrediction(repository, { ...last, data: { recordingId: 'r' } }, stalled)).toBe(
      false,
    );
    expect(repository.calls).toEqual([{ id: 'p2', batchId: undefined, code: 'PREDICTION_FAILED' }]);
  });
});
