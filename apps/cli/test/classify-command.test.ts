import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio } from '@heartbeat/audio';
import { buildWav } from '../../../libs/audio/test/wav-builder';

const repoRoot = resolve(__dirname, '..', '..', '..');
const heartbeat = join(repoRoot, 'bin', 'heartbeat.js');
const fixtures = join(repoRoot, 'libs', 'audio', 'test', 'fixtures');
const sharedTrainingA = join(repoRoot, '..', 'shared', 'data', 'physionet2016', 'training-a');

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [heartbeat, ...args], {
    encoding: 'utf8',
    cwd: repoRoot,
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('heartbeat classify', () => {
  let folder: string;

  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'heartbeat-cli-'));
    copyFileSync(join(fixtures, 'a0238.flac'), join(folder, 'a0238.flac'));
    copyFileSync(join(fixtures, 'b0225.flac'), join(folder, 'b0225.flac'));
    writeFileSync(join(folder, 'truncated.wav'), Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'));
    writeFileSync(join(folder, 'picture.wav'), Buffer.from('\x89PNG\r\n\x1a\n0000000000000000', 'latin1'));
  });

  it('screens good files and gives corrupt ones an error row, exiting 3', () => {
    const { code, stdout } = run('classify', folder, '--format', 'jsonl', '--workers', '2');
    const rows = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(rows).toHaveLength(4);
    const byName = Object.fromEntries(rows.map((row) => [row.file.split('/').pop(), row]));
    for (const good of ['a0238.flac', 'b0225.flac']) {
      expect(Object.keys(byName[good]).sort()).toEqual([
        'file',
        'label',
        'probability',
        'quality',
        'windows',
      ]);
      expect(['normal', 'abnormal', 'unsure']).toContain(byName[good].label);
      expect(byName[good].probability).toBeGreaterThanOrEqual(0);
      expect(byName[good].probability).toBeLessThanOrEqual(1);
      expect(byName[good].windows).toBeGreaterThan(0);
    }
    expect(byName['picture.wav']).toMatchObject({ code: 'UNSUPPORTED_FORMAT' });
    expect(byName['picture.wav'].error).toMatch(/PNG/);
    expect(byName['truncated.wav'].code).toMatch(/CORRUPT_AUDIO|EMPTY_FILE|TOO_SHORT/);
    expect(byName['truncated.wav']).not.toHaveProperty('label');
    expect(code).toBe(3);
  });

  // Real recordings of training-a named one by one once crashed a worker thread (stack overflow inside
  // onnxruntime); copies of one short fixture did not, so this uses the shared data when it is there.
  it.runIf(existsSync(sharedTrainingA))('screens 300 recordings named on the command line', () => {
    const paths = readdirSync(sharedTrainingA)
      .filter((name) => name.endsWith('.flac'))
      .sort()
      .slice(0, 300)
      .map((name) => join(sharedTrainingA, name));
    const { code, stdout } = run('classify', ...paths, '--format', 'jsonl');
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(300);
  });

  it('screens a WFDB record (.hea beside its .dat) as the same samples in a WAV, once, however it is named', async () => {
    const record = mkdtempSync(join(tmpdir(), 'heartbeat-cli-wfdb-'));
    const decoded = await decodeAudio(new Uint8Array(readFileSync(join(fixtures, 'a0238.flac'))));
    const pcm = Int16Array.from(decoded.samples, (v) =>
      Math.max(-32768, Math.min(32767, Math.round(v * 32768))),
    );
    writeFileSync(join(record, 'a0238.dat'), new Uint8Array(pcm.buffer));
    writeFileSync(
      join(record, 'a0238.hea'),
      `a0238 1 2000 ${pcm.length}\na0238.dat 16 1000(0)/mV 16 0 0 0 0 PCG\n`,
    );
    writeFileSync(
      join(record, 'same-samples.wav'),
      buildWav({ sampleRate: 2000, data: new Uint8Array(pcm.buffer) }),
    );
    const rowsOf = (...args: string[]) => {
      const { code, stdout, stderr } = run('classify', ...args, '--format', 'jsonl', '--workers', '1');
      expect(code, stderr).toBe(0);
      return Object.fromEntries(
        stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line))
          .map((row) => [row.file.split('/').pop(), row]),
      );
    };
    const fromFolder = rowsOf(record);
    expect(Object.keys(fromFolder).sort()).toEqual(['a0238.hea', 'same-samples.wav']);
    const { file: _hea, ...record_ } = fromFolder['a0238.hea'];
    const { file: _wav, ...wav } = fromFolder['same-samples.wav'];
    expect(record_).toEqual(wav);
    const named = rowsOf(join(record, 'a0238.hea'), join(record, 'a0238.dat'));
    expect(Object.keys(named)).toEqual(['a0238.hea']);
  });

  it('exits 0 when every file is screened, and writes CSV with a header', () => {
    const { code, stdout } = run('classify', join(folder, 'a0238.flac'), '--format', 'csv');
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('file,label,probability,quality,windows,code,error');
    expect(lines).toHaveLength(2);
    expect(code).toBe(0);
  });

  it('reports a missing path as an error row', () => {
    const { code, stdout } = run('classify', join(folder, 'nope.wav'), '--format', 'jsonl');
    expect(JSON.parse(stdout.trim())).toMatchObject({ code: 'FILE_NOT_FOUND' });
    expect(code).toBe(3);
  });

  it('exits 1 with a clear message when the model directory is not a model', () => {
    const { code, stderr } = run('classify', folder, '--model', folder);
    expect(stderr).toMatch(/Cannot load the model/);
    expect(stderr).toMatch(/heartbeat-model.json is missing/);
    expect(code).toBe(1);
  });

  it('exits 1 with a clear message when one file is screened and the network cannot be loaded', () => {
    // With one file the ONNX session loads on its own thread while the file is prepared.
    const model = mkdtempSync(join(tmpdir(), 'heartbeat-cli-model-'));
    const shipped = join(repoRoot, 'models', '1.6.0');
    for (const file of readdirSync(shipped)) copyFileSync(join(shipped, file), join(model, file));
    writeFileSync(join(model, 'model.onnx'), 'not an onnx model');
    const { code, stdout, stderr } = run('classify', join(folder, 'a0238.flac'), '--model', model);
    expect(stderr).toMatch(/Cannot load the model from .*model\.onnx failed/);
    expect(stdout).toBe('');
    expect(code).toBe(1);
  });

  it('rejects an unknown output format as a usage error', () => {
    const { code, stderr } = run('classify', folder, '--format', 'xml');
    expect(stderr).toMatch(/format/);
    expect(code).not.toBe(0);
  });
});
