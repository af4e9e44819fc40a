import { describe, expect, it } from 'vitest';
import { RecordingSource, type RecordingSourceKind } from './recording-source';

function source(handoff: Map<string, Buffer> | Error, stored: Map<string, Buffer>) {
  const reads: RecordingSourceKind[] = [];
  const errors: string[] = [];
  const recordingSource = new RecordingSource({
    handoff: {
      take: async (key) => {
        if (handoff instanceof Error) throw handoff;
        const bytes = handoff.get(key);
        handoff.delete(key);
        return bytes;
      },
    },
    storage: {
      getBuffer: async (key) => {
        const bytes = stored.get(key);
        if (!bytes) throw new Error(`no object ${key}`);
        return bytes;
      },
    },
    onRead: (kind) => reads.push(kind),
    onHandoffError: (error) => errors.push(error.message),
  });
  return { recordingSource, reads, errors };
}

describe('RecordingSource', () => {
  it('reads handed-off bytes without touching storage', async () => {
    const { recordingSource, reads } = source(new Map([['p', Buffer.from('handed')]]), new Map());
    expect((await recordingSource.read({ storageKey: 'k', predictionId: 'p' })).toString()).toBe('handed');
    expect(reads).toEqual(['handoff']);
  });

  it('reads storage when nothing was handed off, or the handoff was already taken', async () => {
    const { recordingSource, reads } = source(
      new Map([['p', Buffer.from('handed')]]),
      new Map([['k', Buffer.from('stored')]]),
    );
    await recordingSource.read({ storageKey: 'k', predictionId: 'p' });
    expect((await recordingSource.read({ storageKey: 'k', predictionId: 'p' })).toString()).toBe('stored');
    expect(reads).toEqual(['handoff', 'storage']);
  });

  it('reads storage for a job without a prediction id (nothing can have been handed off)', async () => {
    const { recordingSource, reads } = source(
      new Map([['p', Buffer.from('handed')]]),
      new Map([['k', Buffer.from('stored')]]),
    );
    expect((await recordingSource.read({ storageKey: 'k' })).toString()).toBe('stored');
    expect(reads).toEqual(['storage']);
  });

  it("reads a batch job's handed-off bytes too, and storage once they are gone", async () => {
    const { recordingSource, reads } = source(
      new Map([['p', Buffer.from('handed')]]),
      new Map([['k', Buffer.from('stored')]]),
    );
    const job = { storageKey: 'k', predictionId: 'p', batchId: 'b' };
    expect((await recordingSource.read(job)).toString()).toBe('handed');
    expect((await recordingSource.read(job)).toString()).toBe('stored');
    expect(reads).toEqual(['handoff', 'storage']);
  });

  it('falls back to storage when Redis cannot be read, and reports it', async () => {
    const { recordingSource, reads, errors } = source(
      new Error('Redis is down'),
      new Map([['k', Buffer.from('stored')]]),
    );
    expect((await recordingSource.read({ storageKey: 'k', predictionId: 'p' })).toString()).toBe('stored');
    expect(reads).toEqual(['storage']);
    expect(errors).toEqual(['Redis is down']);
  });
});
