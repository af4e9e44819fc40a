// A WFDB record (.hea + .dat) screens as the WAV of its heart-sound signal: same samples, same rate.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeAudio, decodeWfdbRecord, wfdbRecordAsWav, wfdbSignalFileName } from '@heartbeat/audio';

const real = async () => decodeAudio(new Uint8Array(readFileSync(join(__dirname, 'fixtures', 'a0238.flac'))));
const int16Dat = (samples: Float32Array): Uint8Array => {
  const dat = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) dat[i] = Math.round(samples[i]! * 32768);
  return new Uint8Array(dat.buffer);
};

describe('WFDB records as WAV', () => {
  it('turns a record built from a real recording into a WAV that decodes to the same samples and rate', async () => {
    const recording = await real();
    const dat = int16Dat(recording.samples);
    const header = `a0238 1 2000 ${recording.samples.length}\na0238.dat 16 1000(0)/mV 16 0 0 0 0 PCG\n`;
    const asWav = await decodeAudio(wfdbRecordAsWav(header, dat));
    expect(asWav.sampleRate).toBe(2000);
    expect(
      Buffer.from(asWav.samples.buffer).equals(Buffer.from(decodeWfdbRecord(header, dat).samples.buffer)),
    ).toBe(true);
    // The .dat holds the recording at 16 bits: within one step of the FLAC's own samples.
    let largest = 0;
    for (let i = 0; i < recording.samples.length; i++)
      largest = Math.max(largest, Math.abs(asWav.samples[i]! - recording.samples[i]!));
    expect(largest).toBeLessThanOrEqual(1 / 32768);
  });

  it('keeps the baseline and resolution scaling of the heart-sound signal, not the ECG beside it', async () => {
    const frames = 5000;
    const interleaved = new Int16Array(frames * 2);
    for (let i = 0; i < frames; i++) {
      interleaved[2 * i] = 300;
      interleaved[2 * i + 1] = 100 + Math.round(900 * Math.sin(i / 7));
    }
    const header = `rec 2 2000 ${frames}\nrec.dat 16 200(0)/mV 16 0 0 0 0 ECG\nrec.dat 16 1000(100)/mV 12 0 0 0 0 PCG\n`;
    const dat = new Uint8Array(interleaved.buffer);
    expect((await decodeAudio(wfdbRecordAsWav(header, dat))).samples).toEqual(
      decodeWfdbRecord(header, dat).samples,
    );
  });

  it('names the signal file that holds the heart sounds', () => {
    expect(
      wfdbSignalFileName(
        'rec 2 2000\nrec_ecg.dat 16 200 16 0 0 0 0 ECG\nrec_pcg.dat 16 1000 16 0 0 0 0 PCG\n',
      ),
    ).toBe('rec_pcg.dat');
    expect(wfdbSignalFileName('a0001 1 2000 40000\na0001.dat 16 1000 16 0 0 0 0\n')).toBe('a0001.dat');
  });

  it('refuses a record whose signal file is truncated with its audio error', () => {
    const header = 'a0001 1 2000 40000\na0001.dat 16 1000 16 0 0 0 0 PCG\n';
    expect(() => wfdbRecordAsWav(header, new Uint8Array(1000))).toThrow(
      expect.objectContaining({ code: 'CORRUPT_AUDIO' }),
    );
  });
});
