// Cuts a prepared signal into the fixed-length windows the model scores; every window keeps its start
// time so a prediction can be traced back to the moment in the recording.

import { tooShort } from './errors';

export type WindowOptions = {
  readonly sampleRate: number;
  readonly windowSec?: number;
  readonly hopSec?: number;
  /** Recordings shorter than this are rejected; between this and windowSec they are zero-padded. */
  readonly minSec?: number;
};

export type SignalWindow = { readonly startSec: number; readonly samples: Float32Array };

export const DEFAULT_WINDOW_SEC = 5;
export const DEFAULT_HOP_SEC = 2.5;
export const MIN_RECORDING_SEC = 2;

/**
 * Windows start every hopSec. When the last regular window stops short of the end, one more window
 * aligned to the end is added so the final heartbeats are scored too. Windows are views (no copy)
 * except the zero-padded one of a recording shorter than a window.
 */
export function segmentIntoWindows(signal: Float32Array, options: WindowOptions): SignalWindow[] {
  const {
    sampleRate,
    windowSec = DEFAULT_WINDOW_SEC,
    hopSec = DEFAULT_HOP_SEC,
    minSec = MIN_RECORDING_SEC,
  } = options;
  if (!(windowSec > 0 && hopSec > 0))
    throw new RangeError(`windowSec and hopSec must be positive, got ${windowSec} and ${hopSec}`);
  const durationSec = signal.length / sampleRate;
  if (durationSec < minSec) throw tooShort(durationSec, minSec);
  const windowLength = Math.round(windowSec * sampleRate);
  const hopLength = Math.max(1, Math.round(hopSec * sampleRate));
  if (signal.length <= windowLength) {
    const padded = new Float32Array(windowLength);
    padded.set(signal);
    return [{ startSec: 0, samples: padded }];
  }
  const windows: SignalWindow[] = [];
  let start = 0;
  for (; start + windowLength <= signal.length; start += hopLength) {
    windows.push({ startSec: start / sampleRate, samples: signal.subarray(start, start + windowLength) });
  }
  const lastStart = start - hopLength;
  if (lastStart + windowLength < signal.length) {
    const endStart = signal.length - windowLength;
    windows.push({ startSec: endStart / sampleRate, samples: signal.subarray(endStart) });
  }
  return windows;
}
