import { describe, expect, it } from 'vitest';
import { seededRandom } from '@heartbeat/model';
import { addSyntheticMurmur, heartSoundPeaks } from './synthetic-murmur';

/** 5 s at 2 kHz: S1 every 0.8 s from 0.1 s and S2 0.3 s after it, as 40-ms bursts of a 60 Hz tone. */
function heartbeat(): { window: Float32Array; sounds: number[] } {
  const window = new Float32Array(10_000);
  const sounds: number[] = [];
  for (let s1 = 200; s1 + 600 < window.length; s1 += 1600) sounds.push(s1, s1 + 600);
  for (const centre of sounds) {
    for (let i = -40; i <= 40; i++)
      window[centre + i] += Math.exp(-((i / 20) ** 2)) * Math.sin((2 * Math.PI * 60 * i) / 2000);
  }
  return { window, sounds };
}

const energy = (x: Float32Array, from: number, to: number) =>
  x.subarray(from, to).reduce((s, v) => s + v * v, 0);

describe('synthetic murmurs', () => {
  it('finds S1 and S2 of a clean heartbeat within 20 ms', () => {
    const { window, sounds } = heartbeat();
    const peaks = heartSoundPeaks(window);
    expect(peaks).toHaveLength(sounds.length);
    peaks.forEach((p, i) => expect(Math.abs(p - sounds[i])).toBeLessThanOrEqual(40));
  });

  it('adds noise between the heart sounds and leaves the sounds themselves as they were', () => {
    const { window, sounds } = heartbeat();
    for (let seed = 1; seed <= 5; seed++) {
      const murmur = addSyntheticMurmur(window, seededRandom(seed))!;
      expect(murmur).toBeDefined();
      const added = murmur.map((v, i) => v - window[i]);
      for (const centre of sounds) expect(energy(added, centre - 80, centre + 80)).toBe(0);
      expect(energy(added, 0, added.length)).toBeGreaterThan(0);
    }
  });

  it('draws nothing when it cannot find three heart sounds', () => {
    expect(addSyntheticMurmur(new Float32Array(10_000), seededRandom(1))).toBeUndefined();
  });
});
