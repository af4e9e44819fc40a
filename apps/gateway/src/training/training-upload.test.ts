import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseLabelManifest, TrainingUploadLabels } from './training-upload';

describe('parseLabelManifest', () => {
  it('reads file name,label lines and skips a header', () => {
    expect([...parseLabelManifest('file,label\na.wav,normal\r\nb.wav, ABNORMAL\n\n')]).toEqual([
      ['a.wav', 'normal'],
      ['b.wav', 'abnormal'],
    ]);
  });

  it('refuses an unknown label with the line number', () => {
    expect(() => parseLabelManifest('a.wav,normal\nb.wav,murmur')).toThrow(/line 2/);
  });
});

/** The request a browser or curl would send for `form`, arriving in small chunks. */
async function multipartRequest(form: FormData): Promise<IncomingMessage> {
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  const body = Buffer.from(await request.arrayBuffer());
  const chunks = Array.from({ length: Math.ceil(body.length / 500) }, (_, i) =>
    body.subarray(i * 500, (i + 1) * 500),
  );
  return Object.assign(Readable.from(chunks), {
    headers: { 'content-type': request.headers.get('content-type')! },
  }) as unknown as IncomingMessage;
}

const LIMITS = { maxFiles: 3, maxFileBytes: 10_000 };

/** Reads every file to its end, as the upload path does, and returns names and sizes. */
async function readAll(labels: TrainingUploadLabels, request: IncomingMessage) {
  const files: { index: number; fileName: string; bytes: number }[] = [];
  for await (const file of labels.files(request, LIMITS)) {
    let bytes = 0;
    for await (const chunk of file.stream as AsyncIterable<Buffer>) bytes += chunk.length;
    files.push({ index: file.index, fileName: file.fileName, bytes });
  }
  return files;
}

const recording = (size: number) => new Blob([new Uint8Array(size).fill(1)]);

describe('TrainingUploadLabels', () => {
  it('gives each file the "labels" field that follows it, and numbers recordings without the manifest part', async () => {
    const form = new FormData();
    form.append('manifest', new Blob(['file,label\nb.wav,abnormal\n']), 'labels.csv');
    form.append('files', recording(1_200), 'a.wav');
    form.append('labels', 'Normal');
    form.append('files', recording(900), 'b.wav');
    form.append('files', recording(700), 'c.wav');
    form.append('label', 'abnormal');
    form.append('site', 'hospital-a');
    const labels = new TrainingUploadLabels();

    expect(await readAll(labels, await multipartRequest(form))).toEqual([
      { index: 0, fileName: 'a.wav', bytes: 1_200 },
      { index: 1, fileName: 'b.wav', bytes: 900 },
      { index: 2, fileName: 'c.wav', bytes: 700 },
    ]);
    expect([0, 1, 2].map((index) => labels.labelFor(index))).toEqual(['normal', 'abnormal', 'abnormal']);
    expect(labels.site).toBe('hospital-a');
  });

  it('answers labels only once the whole upload has been read, since a manifest may come last', () => {
    expect(() => new TrainingUploadLabels().labelFor(0)).toThrow(/once the whole upload has been read/);
  });

  it('fails the stream of files once it ends when a file has no label, so the upload keeps nothing', async () => {
    const form = new FormData();
    form.append('files', recording(100), 'a.wav');
    form.append('labels', 'normal');
    form.append('files', recording(100), 'unlabelled.wav');

    await expect(readAll(new TrainingUploadLabels(), await multipartRequest(form))).rejects.toMatchObject({
      code: 'MISSING_LABEL',
      details: { fileName: 'unlabelled.wav' },
    });
  });

  it('refuses a "labels" field before any file, a second one for the same file, and a bad site', async () => {
    const before = new FormData();
    before.append('labels', 'normal');
    before.append('files', recording(100), 'a.wav');
    const twice = new FormData();
    twice.append('files', recording(100), 'a.wav');
    twice.append('labels', 'normal');
    twice.append('labels', 'abnormal');
    const site = new FormData();
    site.append('site', '../etc');
    site.append('files', recording(100), 'a.wav');
    site.append('label', 'normal');

    for (const form of [before, twice])
      await expect(readAll(new TrainingUploadLabels(), await multipartRequest(form))).rejects.toMatchObject({
        code: 'INVALID_LABEL',
      });
    await expect(readAll(new TrainingUploadLabels(), await multipartRequest(site))).rejects.toMatchObject({
      code: 'INVALID_SITE',
    });
  });

  it('allows MAX_BATCH_FILES recordings besides the manifest, and refuses one more with 413', async () => {
    const form = new FormData();
    form.append('manifest', 'a.wav,normal');
    for (const name of ['a.wav', 'b.wav', 'c.wav']) form.append('files', recording(10), name);
    form.append('label', 'normal');
    expect(await readAll(new TrainingUploadLabels(), await multipartRequest(form))).toHaveLength(3);

    form.append('files', recording(10), 'd.wav');
    await expect(readAll(new TrainingUploadLabels(), await multipartRequest(form))).rejects.toMatchObject({
      code: 'TOO_MANY_FILES',
    });
  });
});
