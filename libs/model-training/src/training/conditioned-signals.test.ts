import { copyFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LabelledRecording } from '@heartbeat/model';
import { loadConditionedSignals } from './conditioned-signals';

const FIXTURES = join(__dirname, '../../../audio/test/fixtures');

describe('conditioned-signal cache', () => {
  it('caches each signal whole: loaders running together and later ones read what a fresh decode gives, with no partial file left', async () => {
    const work = mkdtempSync(join(tmpdir(), 'conditioned-'));
    const recordings: LabelledRecording[] = ['a0238.flac', 'b0225.flac', 'e01440.flac'].map((name) => {
      copyFileSync(join(FIXTURES, name), join(work, name));
      return { id: name, path: join(work, name), label: 'normal', subset: 'fixtures' };
    });
    const cacheDir = join(work, 'cache');
    const runs = await Promise.all([1, 2, 3].map(() => loadConditionedSignals(recordings, { cacheDir })));
    const fresh = await loadConditionedSignals(recordings);
    for (const run of runs) {
      expect(run.failed).toEqual([]);
      run.loaded.forEach((c, i) => expect(c.signal).toEqual(fresh.loaded[i]!.signal));
    }
    const again = await loadConditionedSignals(recordings, { cacheDir });
    again.loaded.forEach((c, i) => expect(c.signal).toEqual(fresh.loaded[i]!.signal));
    expect(readdirSync(cacheDir).filter((name) => !name.endsWith('.f32'))).toEqual([]);
  });
});
