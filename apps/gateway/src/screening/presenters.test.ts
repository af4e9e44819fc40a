import { describe, expect, it } from 'vitest';
import type { Batch } from '@heartbeat/db';
import { csvCell, presentBatch } from './presenters';

describe('csvCell', () => {
  it('quotes commas, quotes and newlines', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell(null)).toBe('');
    expect(csvCell(0.25)).toBe('0.25');
  });

  it('defuses values a spreadsheet would run as a formula', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('-0.5')).toBe('-0.5');
  });
});

describe('presentBatch', () => {
  it('reports progress as done / total with pending the rest', () => {
    const batch = { id: 'b', status: 'running', totalCount: 4, succeededCount: 2, failedCount: 1, createdAt: new Date(0), finishedAt: null } as Batch;
    expect(presentBatch(batch)).toMatchObject({ total: 4, done: 3, pending: 1, progress: 0.75, statusUrl: '/api/v1/batches/b' });
  });
});
