// The committed hostile corpus (scripts/hostile-corpus/generate.ts writes it): every file is refused
// with its stable AudioError code, in bounded time and memory, and never with any other exception.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AudioError, decodeAudio, decodeWfdbRecord } from '@heartbeat/audio';

const CORPUS = join(__dirname, 'fixtures', 'hostile-corpus');
interface Entry {
  name: string;
  files: string[];
  code: string;
  what: string;
}
const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as Entry[];
const bytes = (file: string) => new Uint8Array(readFileSync(join(CORPUS, file)));

function decodeEntry(entry: Entry): Promise<unknown> {
  if (entry.files.length === 2) {
    const [hea, dat] = entry.files as [string, string];
    return (async () => decodeWfdbRecord(readFileSync(join(CORPUS, hea), 'latin1'), bytes(dat)))();
  }
  return decodeAudio(bytes(entry.files[0]!));
}

describe('the hostile corpus', () => {
  it('holds at least 60 files', () => {
    expect(manifest.reduce((sum, entry) => sum + entry.files.length, 0)).toBeGreaterThanOrEqual(60);
  });

  it.each(manifest.map((entry) => [entry.name, entry] as const))(
    'refuses %s with its stable code',
    async (_name, entry) => {
      const started = performance.now();
      const error = await decodeEntry(entry).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error, `${entry.what} was accepted`).toBeInstanceOf(AudioError);
      expect({ file: entry.name, code: (error as AudioError).code }).toEqual({
        file: entry.name,
        code: entry.code,
      });
      expect((error as AudioError).message.length).toBeGreaterThan(20);
      expect(performance.now() - started).toBeLessThan(5_000);
    },
  );

  it('refuses the whole corpus twice over without the process growing by more than 100 MB', async () => {
    const before = process.memoryUsage().rss;
    for (let round = 0; round < 2; round++)
      for (const entry of manifest) await decodeEntry(entry).catch(() => undefined);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });
});
