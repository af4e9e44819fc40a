// The uploaded training samples and their recordings, read from PostgreSQL for the data set.
import type { Page, PageRequest, Recording, TrainingSample } from '@heartbeat/db';
import type { SampleSource } from './data-set';

/** The repository calls the sample source needs (TrainingSamplesRepository and RecordingsRepository). */
export interface SampleTables {
  samples: { list(filter: { site?: string }, page: PageRequest): Promise<Page<TrainingSample>> };
  recordings: { findByIds(ids: readonly string[]): Promise<Recording[]> };
}

/** Rows per query: every sample of a run is read, a page at a time. */
export const SAMPLE_PAGE = 1000;

export class DatabaseSampleSource implements SampleSource {
  constructor(
    private readonly tables: SampleTables,
    private readonly pageSize = SAMPLE_PAGE,
  ) {}

  async listSamples(filter: { site?: string }): Promise<TrainingSample[]> {
    const all: TrainingSample[] = [];
    for (let offset = 0; ; offset += this.pageSize) {
      const page = await this.tables.samples.list(filter, { limit: this.pageSize, offset });
      all.push(...page.items);
      if (page.items.length < this.pageSize) return all;
    }
  }

  findRecordings(ids: readonly string[]): Promise<Recording[]> {
    return this.tables.recordings.findByIds(ids);
  }
}
