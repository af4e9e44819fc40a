// Runs libs/audio/test/mel_reference.py, the independent numpy implementation of the feature contract.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { FeatureConfig } from '../src/features/log-mel';

const SCRIPT = join(__dirname, 'mel_reference.py');
// Debian's interpreter has python3-numpy (installed by .ci/run); a python3 earlier on PATH may not.
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export function referenceFilterbank(config: FeatureConfig): number[][] {
  const { sampleRate, nFft, nMels, fMin, fMax } = config;
  const output = execFileSync(
    PYTHON,
    [SCRIPT, 'filterbank', ...[sampleRate, nFft, nMels, fMin, fMax].map(String)],
    { encoding: 'utf8' },
  );
  return JSON.parse(output) as number[][];
}

export function referenceLogMel(samples: Float32Array, config: FeatureConfig): Float32Array {
  const directory = mkdtempSync(join(tmpdir(), 'heartbeat-mel-'));
  try {
    const input = join(directory, 'in.f32');
    const output = join(directory, 'out.f32');
    writeFileSync(input, new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
    const { sampleRate, nFft, winLength, hopLength, nMels, fMin, fMax } = config;
    execFileSync(PYTHON, [
      SCRIPT,
      'logmel',
      input,
      output,
      ...[sampleRate, nFft, winLength, hopLength, nMels, fMin, fMax].map(String),
    ]);
    const bytes = readFileSync(output);
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
