// Decoded samples against Debian's sox (lossless) and ffmpeg (lossy) decoding of the same file.
// Fixtures are generated here with sox/ffmpeg (apt: sox libsox-fmt-all ffmpeg).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio, resample, type AudioFormat } from '@heartbeat/audio';

let directory = '';
const path = (name: string): string => join(directory, name);
const run = (command: string, args: readonly string[]): void => {
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
};
const readBytes = (name: string): Uint8Array => new Uint8Array(readFileSync(path(name)));

function readInterleavedFloat32(name: string, channels: number): Float32Array {
  const bytes = readFileSync(path(name));
  const interleaved = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
  const frames = interleaved.length / channels;
  const mono = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += interleaved[i * channels + c];
    mono[i] = sum / channels;
  }
  return mono;
}

function soxReference(name: string, channels: number): Float32Array {
  run('sox', [path(name), '-t', 'raw', '-e', 'floating-point', '-b', '32', '-L', path(`${name}.sox.f32`)]);
  return readInterleavedFloat32(`${name}.sox.f32`, channels);
}

function ffmpegReference(name: string, channels: number): Float32Array {
  run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-i',
    path(name),
    '-f',
    'f32le',
    '-c:a',
    'pcm_f32le',
    path(`${name}.ffmpeg.f32`),
  ]);
  return readInterleavedFloat32(`${name}.ffmpeg.f32`, channels);
}

function maxAbsError(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Highest Pearson correlation over lags of up to maxLag samples, on the middle of the signals. */
function alignedCorrelation(ours: Float32Array, reference: Float32Array, maxLag = 2048): number {
  const start = maxLag;
  const length = Math.min(ours.length, reference.length) - 2 * maxLag;
  let best = -1;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let sumXY = 0;
    let sumXX = 0;
    let sumYY = 0;
    for (let i = start; i < start + length; i += 2) {
      const x = ours[i];
      const y = reference[i + lag];
      sumXY += x * y;
      sumXX += x * x;
      sumYY += y * y;
    }
    best = Math.max(best, sumXY / Math.sqrt(sumXX * sumYY));
  }
  return best;
}

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'heartbeat-audio-'));
  // A heart-sound-like test signal: two tones plus brown noise, different in each stereo channel.
  run('sox', [
    '-n',
    '-r',
    '44100',
    '-c',
    '2',
    '-b',
    '16',
    path('stereo-44k.wav'),
    'synth',
    '4',
    'sine',
    '150',
    'sine',
    '310',
    'brownnoise',
    'mix',
    'gain',
    '-6',
  ]);
  run('sox', [
    '-n',
    '-r',
    '4000',
    '-c',
    '1',
    '-b',
    '16',
    path('pcm16.wav'),
    'synth',
    '3',
    'sine',
    '100',
    'pinknoise',
    'mix',
    'gain',
    '-6',
  ]);
  run('sox', [
    '-n',
    '-r',
    '4000',
    '-c',
    '1',
    '-b',
    '24',
    path('pcm24.wav'),
    'synth',
    '3',
    'sine',
    '120',
    'pinknoise',
    'mix',
    'gain',
    '-6',
  ]);
  run('sox', [
    '-n',
    '-r',
    '8000',
    '-c',
    '1',
    '-b',
    '8',
    '-e',
    'unsigned-integer',
    path('pcm8.wav'),
    'synth',
    '3',
    'sine',
    '90',
    'gain',
    '-3',
  ]);
  run('sox', [
    '-n',
    '-r',
    '8000',
    '-c',
    '2',
    '-b',
    '32',
    '-e',
    'floating-point',
    path('float32.wav'),
    'synth',
    '3',
    'sine',
    '200',
    'sine',
    '60',
    'gain',
    '-3',
  ]);
  run('sox', [
    '-n',
    '-r',
    '2000',
    '-c',
    '1',
    '-b',
    '32',
    '-e',
    'signed-integer',
    path('pcm32.wav'),
    'synth',
    '3',
    'sine',
    '75',
    'gain',
    '-3',
  ]);
  run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-i',
    path('stereo-44k.wav'),
    '-c:a',
    'pcm_s24le',
    path('extensible24.wav'),
  ]);
  run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-i',
    path('stereo-44k.wav'),
    '-c:a',
    'pcm_f64le',
    path('float64.wav'),
  ]);
  run('sox', [path('pcm16.wav'), path('flac16.flac')]);
  run('sox', [path('pcm24.wav'), path('flac24.flac')]);
  run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-i',
    path('stereo-44k.wav'),
    '-c:a',
    'libmp3lame',
    '-b:a',
    '128k',
    path('lossy.mp3'),
  ]);
  run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-i',
    path('stereo-44k.wav'),
    '-c:a',
    'libvorbis',
    '-q:a',
    '5',
    path('lossy.ogg'),
  ]);
  run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-i',
    path('stereo-44k.wav'),
    '-c:a',
    'libopus',
    '-b:a',
    '96k',
    path('lossy.opus'),
  ]);
  run('sox', [
    path('stereo-44k.wav'),
    '-r',
    '2000',
    '-c',
    '1',
    '-e',
    'floating-point',
    '-b',
    '32',
    path('sox-2k-mono.wav'),
    'rate',
    '-v',
  ]);
}, 60_000);

afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('lossless decoding matches sox within 1e-4', () => {
  const cases: [string, AudioFormat, number, number][] = [
    ['pcm16.wav', 'wav', 1, 4000],
    ['pcm24.wav', 'wav', 1, 4000],
    ['pcm32.wav', 'wav', 1, 2000],
    ['float32.wav', 'wav', 2, 8000],
    ['float64.wav', 'wav', 2, 44_100],
    ['extensible24.wav', 'wav', 2, 44_100],
    ['stereo-44k.wav', 'wav', 2, 44_100],
    ['flac16.flac', 'flac', 1, 4000],
    ['flac24.flac', 'flac', 1, 4000],
  ];
  it.each(cases)('%s decodes to the same mono samples as sox', async (name, format, channels, sampleRate) => {
    const decoded = await decodeAudio(readBytes(name));
    expect(decoded.format).toBe(format);
    expect(decoded.channels).toBe(channels);
    expect(decoded.sampleRate).toBe(sampleRate);
    expect(maxAbsError(decoded.samples, soxReference(name, channels))).toBeLessThanOrEqual(1e-4);
  });

  it('decodes 8-bit unsigned WAV to within one 8-bit step of sox (positives scale by 1/127 vs 1/128)', async () => {
    const decoded = await decodeAudio(readBytes('pcm8.wav'));
    expect(maxAbsError(decoded.samples, soxReference('pcm8.wav', 1))).toBeLessThanOrEqual(1 / 128);
  });

  it('reads a WAVE_FORMAT_EXTENSIBLE file with a LIST chunk before the data (as ffmpeg writes it)', () => {
    const bytes = readBytes('extensible24.wav');
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(view.getUint16(20, true)).toBe(0xfffe);
    expect(new TextDecoder().decode(bytes.subarray(0, 200))).toContain('LIST');
  });
});

describe('lossy decoding matches ffmpeg with correlation >= 0.99 after alignment', () => {
  const cases: [string, AudioFormat][] = [
    ['lossy.mp3', 'mp3'],
    ['lossy.ogg', 'ogg'],
    ['lossy.opus', 'opus'],
  ];
  it.each(cases)('%s correlates with the ffmpeg decoding', async (name, format) => {
    const decoded = await decodeAudio(readBytes(name));
    expect(decoded.format).toBe(format);
    expect(decoded.channels).toBe(2);
    expect(Math.abs(decoded.durationSec - 4)).toBeLessThan(0.1);
    expect(alignedCorrelation(decoded.samples, ffmpegReference(name, 2))).toBeGreaterThanOrEqual(0.99);
  });
});

describe('44.1 kHz stereo to 2 kHz mono', () => {
  it('agrees with sox (channel average, then sox rate -v) to within 1 % RMS', async () => {
    const decoded = await decodeAudio(readBytes('stereo-44k.wav'));
    const ours = resample(decoded.samples, decoded.sampleRate, 2000);
    const reference = soxReference('sox-2k-mono.wav', 1);
    expect(ours.length).toBe(reference.length);
    let difference = 0;
    let energy = 0;
    // Skip 50 ms at the ends, where the two resamplers pad differently.
    for (let i = 100; i < ours.length - 100; i++) {
      difference += (ours[i] - reference[i]) ** 2;
      energy += reference[i] ** 2;
    }
    expect(Math.sqrt(difference / energy)).toBeLessThan(0.01);
  });
});
