// V8 heap tuning for the services' request-shaped work (a few MB of short-lived arrays per recording).
import { setFlagsFromString } from 'node:v8';

/**
 * Old-generation growth factor after each full collection: 1 + percent / 100. V8 otherwise sizes the
 * next limit from the allocation rate it measured, and with long stretches of synchronous compute
 * (ONNX inference, FFTs) that allocate little it keeps the limit ~10 % above the live heap: an
 * inference worker then ran a full mark-compact every ~5 recordings, and garbage collection took
 * about half of its CPU (bench/README.md, "Service path"). Doubling costs tens of MB of headroom.
 */
export const HEAP_GROWING_PERCENT = 100;

/** Call once at process start, before the work begins. */
export function tuneGarbageCollection(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
