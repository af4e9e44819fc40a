// Real PhysioNet 2016 recordings (fixtures/, see ATTRIBUTION.md) through the whole feature path, and
// a WFDB record written by sox that must decode to the same samples as its WAV twin.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assessSignalQuality,
  decodeAudio,
  decodeWfdbRecord,
  logMelSpectrogramsOfWindows,
  MODEL_SAMPLE_RATE,
  prepareSignal,
  segmentIntoWindows,
} from '@heartbeat/audio';

const FIXTURES = join(__dirname, 'fixtures');
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));
let directory = '';

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'heartbeat-wfdb-'));
  const source = join(FIXTURES, 'a0238.flac');
  execFileSync('sox', [
    source,
    '-t',
    'raw',
    '-e',
    'signed-integer',
    '-b',
    '16',
    '-L',
    join(directory, 'a0238.dat'),
  ]);
  execFileSync('sox', [source, join(directory, 'a0238.wav')]);
});

afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('WFDB records', () => {
  it('decode to the same samples as their WAV twin (format 16, written by sox)', async () => {
    const dat = new Uint8Array(readFileSync(join(directory, 'a0238.dat')));
    const header = `a0238 1 2000 ${dat.length / 2}\na0238.dat 16 1000(0)/mV 16 0 0 0 0 PCG\n`;
    const fromWfdb = decodeWfdbRecord(header, dat);
    const fromWav = await decodeAudio(new Uint8Array(readFileSync(join(directory, 'a0238.wav'))));
    expect(fromWfdb.format).toBe('wfdb');
    expect(fromWfdb.sampleRate).toBe(2000);
    expect(fromWfdb.samples.length).toBe(fromWav.samples.length);
    let worst = 0;
    for (let i = 0; i < fromWav.samples.length; i++)
      worst = Math.max(worst, Math.abs(fromWfdb.samples[i] - fromWav.samples[i]));
    expect(worst).toBeLessThanOrEqual(1e-4);
  });

  it('are accepted by decodeAudio when the .dat comes along with the .hea', async () => {
    const dat = new Uint8Array(readFileSync(join(directory, 'a0238.dat')));
    const header = new TextEncoder().encode(
      `# exported by the test\na0238 1 2000\na0238.dat 16 1000 16 0 0 0 0 PCG\n`,
    );
    const decoded = await decodeAudio(header, { wfdbSignalFile: dat });
    expect(decoded.samples.length).toBe(dat.length / 2);
  });

  it('pick the PCG signal out of an interleaved ECG + PCG record and honour the baseline', () => {
    const frames = 5000;
    const dat = new Int16Array(frames * 2);
    for (let i = 0; i < frames; i++) {
      dat[2 * i] = 1000; // ECG: constant
      dat[2 * i + 1] = 100 + Math.round(8000 * Math.sin(i / 5)); // PCG around a baseline of 100
    }
    const header = `rec 2 2000 ${frames}\nrec.dat 16 200(0)/mV 16 0 0 0 0 ECG\nrec.dat 16 1000(100)/mV 16 0 0 0 0 PCG\n`;
    const decoded = decodeWfdbRecord(header, new Uint8Array(dat.buffer));
    expect(decoded.channels).toBe(2);
    expect(decoded.samples[5]).toBeCloseTo(Math.round(8000 * Math.sin(1)) / 32768, 6);
  });
});

describe('real PhysioNet recordings', () => {
  it.each(['a0238.flac', 'b0225.flac', 'e01440.flac'])(
    '%s goes from FLAC bytes to 251 x 64 log-mel windows',
    async (name) => {
      const decoded = await decodeAudio(fixture(name));
      expect(decoded).toMatchObject({ format: 'flac', sampleRate: 2000, channels: 1 });
      const signal = prepareSignal(decoded);
      expect(signal.length).toBe(decoded.samples.length);
      const windows = segmentIntoWindows(signal, { sampleRate: MODEL_SAMPLE_RATE });
      const features = logMelSpectrogramsOfWindows(signal, windows);
      for (const spectrogram of features) {
        expect(spectrogram).toMatchObject({ frames: 251, mels: 64 });
        expect(spectrogram.data.every(Number.isFinite)).toBe(true);
      }
    },
  );

  it('scores a real recording as better quality than white noise', async () => {
    const decoded = await decodeAudio(fixture('a0238.flac'));
    const real = assessSignalQuality(prepareSignal(decoded), 2000, decoded.samples);
    let state = 9;
    const noise = Float32Array.from({ length: decoded.samples.length }, () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return 0.5 * (state / 2 ** 30 - 1);
    });
    const noisy = assessSignalQuality(prepareSignal({ samples: noise, sampleRate: 2000 }), 2000, noise);
    expect(real.score).toBeGreaterThan(noisy.score);
    expect(noisy.score).toBeLessThan(0.1);
  });
});
