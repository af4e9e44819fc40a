import { describe, expect, it, vi } from 'vitest';
import type { Recording, TrainingSample } from '@heartbeat/db';
import { DatabaseSampleSource, type SampleTables } from './sample-source';

const sample = (i: number) => ({ id: `s${i}`, site: 'north' }) as unknown as TrainingSample;

function tables(count: number) {
  const rows = Array.from({ length: count }, (_, i) => sample(i));
  const list = vi.fn<SampleTables['samples']['list']>(async (_filter, { limit = 0, offset = 0 }) => ({
    items: rows.slice(offset, offset + limit),
    limit,
    offset,
    total: rows.length,
  }));
  const findByIds = vi.fn(async (ids: readonly string[]) => ids.map((id) => ({ id }) as Recording));
  return { samples: { list }, recordings: { findByIds } };
}

describe('DatabaseSampleSource', () => {
  it('reads every sample a page at a time, with the filter on each page', async () => {
    const source = tables(5);
    const samples = await new DatabaseSampleSource(source, 2).listSamples({ site: 'north' });
    expect(samples.map((s) => s.id)).toEqual(['s0', 's1', 's2', 's3', 's4']);
    expect(source.samples.list.mock.calls).toEqual([
      [{ site: 'north' }, { limit: 2, offset: 0 }],
      [{ site: 'north' }, { limit: 2, offset: 2 }],
      [{ site: 'north' }, { limit: 2, offset: 4 }],
    ]);
  });

  it('asks once more after a full last page, and stops at the empty one', async () => {
    const source = tables(4);
    expect(await new DatabaseSampleSource(source, 2).listSamples({})).toHaveLength(4);
    expect(source.samples.list).toHaveBeenCalledTimes(3);
  });

  it("finds the samples' recordings by id", async () => {
    const source = tables(0);
    expect(await new DatabaseSampleSource(source).findRecordings(['r1'])).toEqual([{ id: 'r1' }]);
  });
});
