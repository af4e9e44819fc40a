// Builds a run's labelled data set on local disk: the base set (a local folder or an object-storage
// prefix) plus every uploaded training sample, downloaded next to it with its label from the table.
// (The split into training, validation and the fixed evaluation set is @heartbeat/model-training's
// record-hash split policy.)
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { Recording, TrainingSample } from '@heartbeat/db';
import { discoverLabelledRecordings, type LabelledRecording } from '@heartbeat/model';

export interface SampleSource {
  listSamples(filter: { site?: string }): Promise<TrainingSample[]>;
  findRecordings(ids: readonly string[]): Promise<Recording[]>;
}

export interface ObjectSource {
  getBuffer(key: string): Promise<Buffer>;
  listAll(options: { prefix?: string }): AsyncIterable<{ key: string }>;
}

export interface BaseDataSettings {
  /** A local folder with the base set; wins over the prefix. */
  dir?: string;
  /** Object-storage prefix of the base set, downloaded when no folder is configured. */
  prefix: string;
}

/** Subset of uploaded samples: one per site, so per-subset metrics show each hospital. */
export const uploadSubset = (site: string | null) => (site ? `upload-${site}` : 'upload');

export class DataSetAssembler {
  constructor(
    private readonly samples: SampleSource,
    private readonly objects: ObjectSource,
    private readonly base: BaseDataSettings,
  ) {}

  /** Base recordings plus uploaded samples, all as files below `dataDir`. */
  async assemble(dataDir: string): Promise<LabelledRecording[]> {
    const base = await this.baseRecordings(join(dataDir, 'base'));
    const uploads = await this.downloadSamples(join(dataDir, 'uploads'), {});
    return [...base, ...uploads.map(({ recording }) => recording)];
  }

  /** One site's uploaded samples as files (site calibration). */
  async siteSamples(dataDir: string, site: string): Promise<LabelledRecording[]> {
    return (await this.downloadSamples(dataDir, { site })).map(({ recording }) => recording);
  }

  private async baseRecordings(downloadDir: string): Promise<LabelledRecording[]> {
    if (this.base.dir) return discoverLabelledRecordings(this.base.dir);
    let count = 0;
    for await (const object of this.objects.listAll({ prefix: this.base.prefix })) {
      if (object.key.endsWith('/')) continue;
      const target = join(downloadDir, relative(this.base.prefix, object.key));
      if (!target.startsWith(downloadDir)) continue;
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, await this.objects.getBuffer(object.key));
      count++;
    }
    // No base set at all is allowed: a hospital may retrain on its own uploads only.
    return count === 0 ? [] : discoverLabelledRecordings(downloadDir);
  }

  private async downloadSamples(
    dir: string,
    filter: { site?: string },
  ): Promise<{ recording: LabelledRecording; sample: TrainingSample }[]> {
    const samples = await this.samples.listSamples(filter);
    const recordings = new Map(
      (await this.samples.findRecordings(samples.map((s) => s.recordingId))).map((r) => [r.id, r]),
    );
    const out: { recording: LabelledRecording; sample: TrainingSample }[] = [];
    const seen = new Set<string>();
    for (const sample of samples) {
      const row = recordings.get(sample.recordingId);
      if (!row || seen.has(row.sha256)) continue;
      seen.add(row.sha256);
      const extension = row.format && row.format !== 'unknown' ? `.${row.format}` : '.wav';
      const path = join(dir, sample.label, `${row.sha256}${extension}`);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await this.objects.getBuffer(row.storageKey));
      out.push({
        sample,
        recording: { id: row.sha256, path, label: sample.label, subset: uploadSubset(sample.site) },
      });
    }
    return out;
  }
}
