// Spectrogram-like images of two easily told apart sounds, for checking that the network learns.
import * as tf from '@tensorflow/tfjs';

/**
 * Class 0: a steady tone (one bright horizontal band); class 1: a rising chirp (a bright diagonal).
 * Each image is [frames, bands, 1] on a noisy log-power floor, with random pitch and start.
 */
export function tonesAndChirps(
  count: number,
  frames: number,
  bands: number,
  seed: number,
  abnormalFraction = 0.5,
): { windows: tf.Tensor4D; labels: tf.Tensor2D; labelValues: number[] } {
  let state = seed >>> 0 || 1;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const data = new Float32Array(count * frames * bands);
  const labelValues: number[] = [];
  for (let i = 0; i < count; i++) {
    const isChirp = random() < abnormalFraction ? 1 : 0;
    labelValues.push(isChirp);
    const startBand = Math.floor(random() * (bands / 2));
    const slope = bands / 2 / frames;
    const offset = i * frames * bands;
    for (let t = 0; t < frames; t++) {
      const band = Math.round(isChirp ? startBand + slope * t : startBand + bands / 4);
      for (let m = 0; m < bands; m++) {
        const loud = Math.abs(m - band) <= 1 ? 4 : 0;
        data[offset + t * bands + m] = -6 + loud + (random() - 0.5);
      }
    }
  }
  return {
    windows: tf.tensor4d(data, [count, frames, bands, 1]),
    labels: tf.tensor2d(labelValues, [count, 1]),
    labelValues,
  };
}
