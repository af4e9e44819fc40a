// The recordings a fault scenario submits: 4-s slices of the ten PhysioNet 2016 sample recordings
// (samples/, 2 kHz, 16-bit mono), each from its own offset and with its index written into its first
// samples with the scenario's mark, so no two files share bytes (every file is its own recording, nothing is deduplicated).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeAudio } from '@heartbeat/audio';
import { buildWav, int16Samples } from '../../libs/audio/test/wav-builder';
import { POISON_MARKER } from './corpus-marker';
import { ROOT } from './stack';

export interface Recording {
  name: string;
  bytes: Uint8Array;
}

const SECONDS = 4;

let sources: { rate: number; samples: Float32Array }[] | undefined;

async function loadSources(): Promise<{ rate: number; samples: Float32Array }[]> {
  if (sources) return sources;
  const files: string[] = [];
  for (const subset of readdirSync(path.join(ROOT, 'samples'))
    .filter((n) => n.startsWith('training-'))
    .sort())
    for (const name of readdirSync(path.join(ROOT, 'samples', subset))
      .filter((n) => n.endsWith('.flac'))
      .sort())
      files.push(path.join(ROOT, 'samples', subset, name));
  sources = [];
  for (const file of files) {
    const decoded = await decodeAudio(new Uint8Array(readFileSync(file)));
    sources.push({ rate: decoded.sampleRate, samples: decoded.samples });
  }
  return sources;
}

/** `count` distinct recordings named `<prefix>-0000.wav`... */
export async function makeRecordings(prefix: string, count: number): Promise<Recording[]> {
  const all = await loadSources();
  const seed = [...prefix].reduce((hash, char) => (hash * 31 + char.charCodeAt(0)) >>> 0, 7);
  return Array.from({ length: count }, (_, i) => {
    const source = all[i % all.length]!;
    const length = source.rate * SECONDS;
    const room = Math.max(1, source.samples.length - length);
    const offset = (Math.floor(i / all.length) * 97 + i * 13) % room;
    const slice = Float32Array.from(source.samples.subarray(offset, offset + length));
    slice[0] = (i % 30_000) / 32_768;
    // And the scenario's own mark, so no two scenarios send the same bytes either.
    slice[1] = (seed % 30_000) / 32_768;
    return {
      name: `${prefix}-${String(i).padStart(4, '0')}.wav`,
      bytes: buildWav({ sampleRate: source.rate, data: int16Samples(slice) }),
    };
  });
}

/** A well-formed recording that the poison hook makes its model process crash on. */
export async function makePoison(name: string): Promise<Recording> {
  const [first] = await loadSources();
  const slice = first!.samples.subarray(0, first!.rate * SECONDS);
  return {
    name,
    bytes: buildWav({
      sampleRate: first!.rate,
      data: int16Samples(Float32Array.from(slice)),
      chunksBeforeData: [{ id: 'hbft', body: new TextEncoder().encode(POISON_MARKER) }],
    }),
  };
}
