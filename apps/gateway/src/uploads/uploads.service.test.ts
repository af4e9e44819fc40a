import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Config } from '@heartbeat/config';
import { ObjectTooLargeError } from '@heartbeat/storage';
import { GatewayMetrics } from '../telemetry/gateway-metrics';
import { rejectionFor } from './format-sniffer';
import { readMultipartFiles } from './multipart';
import { UploadsService } from './uploads.service';
import { detectFormat } from '@heartbeat/audio';

/** A minimal valid 16-bit mono WAV of `samples` samples. */
function wav(samples: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + samples * 2, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(4000, 24);
  header.writeUInt32LE(8000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(samples * 2, 40);
  return Buffer.concat([header, Buffer.alloc(samples * 2, 1)]);
}
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(100)]);

/** A multipart/form-data request arriving in small chunks, like one off the network. */
function multipartRequest(field: string, files: { name: string; bytes: Buffer }[]): IncomingMessage {
  const boundary = 'heartbeat-test-boundary';
  const parts = files.map((file) =>
    Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      file.bytes,
      Buffer.from('\r\n'),
    ]),
  );
  const body = Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]);
  const chunks = Array.from({ length: Math.ceil(body.length / 1000) }, (_, i) =>
    body.subarray(i * 1000, (i + 1) * 1000),
  );
  return Object.assign(Readable.from(chunks), {
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  }) as unknown as IncomingMessage;
}

/**
 * Object storage that hashes what it is given, like the real putStream and putBuffer; it fails to
 * store a body of `unavailableFor` bytes as storage out of reach would.
 */
function fakeStorage({ unavailableFor }: { unavailableFor?: number } = {}) {
  const stored = new Map<string, number>();
  const calls: ('putStream' | 'putBuffer')[] = [];
  return {
    stored,
    calls,
    putBuffer: async (body: Buffer, { prefix, maxBytes }: { prefix: string; maxBytes?: number }) => {
      calls.push('putBuffer');
      if (maxBytes !== undefined && body.length > maxBytes) throw new ObjectTooLargeError(maxBytes);
      if (body.length === unavailableFor) throw new Error('connect ECONNREFUSED');
      const sha256 = createHash('sha256').update(body).digest('hex');
      // Written without asking first, as the real putBuffer does.
      stored.set(`${prefix}/${sha256}`, body.length);
      return { key: `${prefix}/${sha256}`, sha256, size: body.length, created: true };
    },
    putStream: async (body: Readable, { prefix, maxBytes }: { prefix: string; maxBytes?: number }) => {
      calls.push('putStream');
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of body) {
        size += (chunk as Buffer).length;
        if (maxBytes !== undefined && size > maxBytes) throw new ObjectTooLargeError(maxBytes);
        hash.update(chunk as Buffer);
      }
      const sha256 = hash.digest('hex');
      stored.set(`${prefix}/${sha256}`, size);
      return { key: `${prefix}/${sha256}`, sha256, size, created: true };
    },
    delete: async (key: string) => void stored.delete(key),
  };
}

const config = (maxUploadBytes: number) => ({ gateway: { maxUploadBytes } }) as unknown as Config;
const metrics = () => new GatewayMetrics({ defaultMetrics: false });
/** The recordings table, holding recordings of these contents (sha256). */
const recordingsOf = (...sha256s: string[]) => ({
  findBySha256: async (sha256: string) => (sha256s.includes(sha256) ? ({ sha256 } as never) : undefined),
});
const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('UploadsService.stageAll', () => {
  it('stores each file under its sha256 and rejects an unsupported one alone, naming what it is', async () => {
    const storage = fakeStorage();
    const service = new UploadsService(storage as never, config(1_000_000), metrics(), recordingsOf());
    const good = wav(8000);
    const request = multipartRequest('files', [
      { name: 'one.wav', bytes: good },
      { name: 'scan.wav', bytes: PNG },
      { name: 'two.wav', bytes: wav(9000) },
    ]);
    const { staged, rejected } = await service.stageAll(
      readMultipartFiles(request, { fieldNames: ['files'], maxFiles: 10, maxFileBytes: 1_000_000 }),
    );
    expect(staged.map((s) => [s.index, s.fileName, s.format, s.sizeBytes])).toEqual([
      [0, 'one.wav', 'wav', good.length],
      [2, 'two.wav', 'wav', 18044],
    ]);
    expect(staged[0]!.sha256).toBe(createHash('sha256').update(good).digest('hex'));
    expect(rejected).toEqual([
      expect.objectContaining({
        index: 1,
        fileName: 'scan.wav',
        statusCode: 415,
        code: 'UNSUPPORTED_FORMAT',
        message: expect.stringContaining('got a PNG image'),
      }),
    ]);
    expect(storage.stored.size).toBe(2);
  });

  it('rejects a file over the size limit with FILE_TOO_LARGE and keeps going', async () => {
    const service = new UploadsService(fakeStorage() as never, config(10_000), metrics(), recordingsOf());
    const request = multipartRequest('files', [
      { name: 'big.wav', bytes: wav(20_000) },
      { name: 'small.wav', bytes: wav(1000) },
    ]);
    const { staged, rejected } = await service.stageAll(
      readMultipartFiles(request, { fieldNames: ['files'], maxFiles: 10, maxFileBytes: 10_000 }),
    );
    expect(rejected.map((r) => [r.fileName, r.statusCode, r.code])).toEqual([
      ['big.wav', 413, 'FILE_TOO_LARGE'],
    ]);
    expect(staged.map((s) => s.fileName)).toEqual(['small.wav']);
  });

  it('stops with 413 TOO_MANY_FILES past the limit and removes what it stored', async () => {
    const storage = fakeStorage();
    const service = new UploadsService(storage as never, config(1_000_000), metrics(), recordingsOf());
    const request = multipartRequest(
      'files',
      [1, 2, 3].map((n) => ({ name: `${n}.wav`, bytes: wav(1000 * n) })),
    );
    await expect(
      service.stageAll(
        readMultipartFiles(request, { fieldNames: ['files'], maxFiles: 2, maxFileBytes: 1_000_000 }),
      ),
    ).rejects.toMatchObject({
      statusCode: 413,
      code: 'TOO_MANY_FILES',
    });
    expect(storage.stored.size).toBe(0);
  });

  it('removes what it stored when the request fails, except an object whose content a recording holds', async () => {
    const last = wav(3000);
    const storage = fakeStorage({ unavailableFor: last.length });
    const earlier = wav(2000);
    storage.stored.set(`recordings/${sha256Of(earlier)}`, earlier.length);
    const service = new UploadsService(
      storage as never,
      config(1_000_000),
      metrics(),
      recordingsOf(sha256Of(earlier)),
    );
    const request = multipartRequest('files', [
      { name: 'new.wav', bytes: wav(1000) },
      { name: 'uploaded-before.wav', bytes: earlier },
      { name: 'storage-gone.wav', bytes: last },
    ]);
    await expect(
      service.stageAll(
        readMultipartFiles(request, { fieldNames: ['files'], maxFiles: 5, maxFileBytes: 1_000_000 }),
      ),
    ).rejects.toThrow('ECONNREFUSED');
    expect([...storage.stored.keys()]).toEqual([`recordings/${sha256Of(earlier)}`]);
  });

  it('hands each file to onFile once stored, and leaves what it handed over in place when the request fails', async () => {
    const storage = fakeStorage();
    const service = new UploadsService(storage as never, config(1_000_000), metrics(), recordingsOf());
    const files = [1, 2].map((n) => ({ name: `${n}.wav`, bytes: wav(1000 * n) }));
    const taken: string[] = [];
    const onFile = async (result: { fileName: string }) => {
      taken.push(result.fileName);
      if (result.fileName === '2.wav') throw new Error('database down');
    };
    const staging = service.stageAll(
      readMultipartFiles(multipartRequest('files', files), {
        fieldNames: ['files'],
        maxFiles: 5,
        maxFileBytes: 1_000_000,
      }),
      onFile,
    );
    await expect(staging).rejects.toThrow('database down');
    expect(taken).toEqual(['1.wav', '2.wav']);
    expect(storage.stored.size).toBe(2);
  });

  it('stores a small file in one PUT from memory and streams a large one', async () => {
    const storage = fakeStorage();
    const service = new UploadsService(storage as never, config(4_000_000), metrics(), recordingsOf());
    const request = multipartRequest('files', [
      { name: 'small.wav', bytes: wav(1000) },
      { name: 'large.wav', bytes: wav(700_000) },
    ]);
    const { staged } = await service.stageAll(
      readMultipartFiles(request, { fieldNames: ['files'], maxFiles: 2, maxFileBytes: 4_000_000 }),
    );
    expect(staged.map((s) => s.sizeBytes)).toEqual([2044, 1_400_044]);
    expect(storage.calls.sort()).toEqual(['putBuffer', 'putStream']);
    expect(staged[1]!.sha256).toBe(createHash('sha256').update(wav(700_000)).digest('hex'));
  });

  it('refuses a file sent under another field name with UNEXPECTED_FIELD', async () => {
    const service = new UploadsService(fakeStorage() as never, config(1_000_000), metrics(), recordingsOf());
    const request = multipartRequest('upload', [{ name: 'one.wav', bytes: wav(1000) }]);
    await expect(
      service.stageAll(
        readMultipartFiles(request, { fieldNames: ['files'], maxFiles: 2, maxFileBytes: 1_000_000 }),
      ),
    ).rejects.toMatchObject({ code: 'UNEXPECTED_FIELD' });
  });
});

describe('rejectionFor', () => {
  it('accepts WAV and FLAC and refuses an empty file with EMPTY_FILE', () => {
    expect(rejectionFor(detectFormat(wav(10)))).toBeUndefined();
    expect(rejectionFor(detectFormat(Buffer.from('fLaC\0\0\0\x22')))).toBeUndefined();
    expect(rejectionFor(detectFormat(new Uint8Array(0)))).toMatchObject({
      statusCode: 415,
      code: 'EMPTY_FILE',
    });
  });

  it('refuses a lone WFDB header, explaining that the signal file is missing', () => {
    const rejection = rejectionFor(
      detectFormat(Buffer.from('a0001 1 2000 40000\na0001.dat 16 1000 16 0 0 0 0 PCG\n')),
    );
    expect(rejection?.message).toContain('WFDB header');
  });
});
