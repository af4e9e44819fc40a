// Test support: synthetic heart recordings for the heart-cycle model's tests.

const RATE = 2000;

/** 10 s of S1/S2 bursts at a random rate; abnormal ones carry noise through systole (a murmur). */
export function syntheticHeartRecording(abnormal: boolean, random: () => number): Float32Array {
  const signal = new Float32Array(10 * RATE);
  const beat = Math.round((0.7 + 0.3 * random()) * RATE);
  const systole = Math.round((0.28 + 0.06 * random()) * RATE);
  for (let start = Math.round(0.2 * RATE); start < signal.length; start += beat) {
    for (const [offset, length, hz] of [
      [0, 200, 60],
      [systole, 160, 80],
    ]) {
      for (let i = 0; i < length && start + offset + i < signal.length; i++)
        signal[start + offset + i] +=
          Math.sin((Math.PI * i) / length) * Math.sin((2 * Math.PI * hz * i) / RATE);
    }
    if (abnormal)
      for (let i = 240; i < systole - 40 && start + i < signal.length; i++)
        signal[start + i] += 0.3 * (random() - 0.5) * Math.sin((2 * Math.PI * 150 * i) / RATE);
  }
  for (let i = 0; i < signal.length; i++) signal[i] += 0.02 * (random() - 0.5);
  return signal;
}
