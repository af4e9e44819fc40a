import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decodeAudio, decodeWfdbRecord } from '@heartbeat/audio';
import type { IncomingFile } from './multipart';
import { pairWfdbParts } from './wfdb-parts';

const frames = 6000;
const pcm = Int16Array.from({ length: frames }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
const dat = Buffer.from(pcm.buffer);
const header = `rec 1 2000 ${frames}\nrec.dat 16 1000(0)/mV 16 0 0 0 0 PCG\n`;

const part = (index: number, fileName: string, bytes: Buffer | string): IncomingFile => ({
  index,
  fieldName: 'files',
  fileName,
  mimeType: 'application/octet-stream',
  stream: Readable.from([Buffer.from(bytes)]),
});

async function* parts(...files: IncomingFile[]): AsyncGenerator<IncomingFile> {
  yield* files;
}

async function collect(
  files: AsyncIterable<IncomingFile>,
): Promise<
  { file: IncomingFile; bytes?: Buffer; error?: { statusCode: number; code: string; message: string } }[]
> {
  const out = [];
  for await (const file of files) {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of file.stream) chunks.push(chunk as Buffer);
      out.push({ file, bytes: Buffer.concat(chunks) });
    } catch (error) {
      out.push({ file, error: error as { statusCode: number; code: string; message: string } });
    }
  }
  return out;
}

describe('pairWfdbParts', () => {
  for (const order of [
    ['rec.hea', 'rec.dat'],
    ['rec.dat', 'rec.hea'],
  ]) {
    it(`joins a record sent as ${order.join(' then ')} into one WAV part under the header's name`, async () => {
      const files = order.map((name, i) => part(i, name, name.endsWith('.hea') ? header : dat));
      const [joined, ...rest] = await collect(pairWfdbParts(parts(...files), 1_000_000));
      expect(rest).toEqual([]);
      expect(joined!.file.fileName).toBe('rec.hea');
      const decoded = await decodeAudio(joined!.bytes!);
      expect(decoded.format).toBe('wav');
      expect(decoded.samples).toEqual(decodeWfdbRecord(header, dat).samples);
    });
  }

  it('passes other files through untouched and in order', async () => {
    const results = await collect(
      pairWfdbParts(
        parts(
          part(0, 'a.wav', 'RIFF'),
          part(1, 'rec.hea', header),
          part(2, 'b.flac', 'fLaC'),
          part(3, 'rec.dat', dat),
        ),
        1_000_000,
      ),
    );
    expect(results.map((r) => r.file.fileName)).toEqual(['a.wav', 'b.flac', 'rec.hea']);
    expect(results[0]!.bytes!.toString()).toBe('RIFF');
  });

  it('refuses a header whose signal file is not in the request, and a signal file without a header, saying what to send', async () => {
    const results = await collect(
      pairWfdbParts(parts(part(0, 'rec.hea', header), part(1, 'other.dat', dat)), 1_000_000),
    );
    expect(results.map((r) => [r.file.fileName, r.error?.statusCode, r.error?.code])).toEqual([
      ['rec.hea', 415, 'UNSUPPORTED_FORMAT'],
      ['other.dat', 415, 'UNSUPPORTED_FORMAT'],
    ]);
    expect(results[0]!.error!.message).toMatch(/names the signal file rec\.dat, which is not in the request/);
    expect(results[1]!.error!.message).toMatch(/no header \(\.hea\) in the request names it/);
  });

  it("refuses a record the audio library cannot read with that library's code", async () => {
    const [result] = await collect(
      pairWfdbParts(parts(part(0, 'rec.hea', header), part(1, 'rec.dat', dat.subarray(0, 100))), 1_000_000),
    );
    expect(result!.error).toMatchObject({ statusCode: 422, code: 'CORRUPT_AUDIO' });
    const [bad] = await collect(pairWfdbParts(parts(part(0, 'rec.hea', 'rec 0 2000\n')), 1_000_000));
    expect(bad!.error).toMatchObject({ statusCode: 422, code: 'CORRUPT_AUDIO' });
  });

  it('refuses a signal file over the size limit with 413', async () => {
    const [result] = await collect(pairWfdbParts(parts(part(0, 'rec.dat', dat)), 1000));
    expect(result!.error).toMatchObject({ statusCode: 413, code: 'FILE_TOO_LARGE' });
  });
});
