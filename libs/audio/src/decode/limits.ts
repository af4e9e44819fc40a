// Limits every decoder enforces, with the defaults the product ships with.

import { badSampleRate } from '../errors';

export type DecodeLimits = {
  /** Longest accepted recording; longer ones are rejected from the header when it says so. */
  readonly maxDurationSec: number;
  /** Shortest accepted recording (the model needs at least a couple of heartbeats). */
  readonly minDurationSec: number;
  readonly minSampleRate: number;
  readonly maxSampleRate: number;
  /** Largest accepted upload in bytes, checked before any parsing. */
  readonly maxBytes: number;
  /** Wall-clock budget for decoding; a decoder stuck on a hostile file is abandoned after it. */
  readonly timeoutMs: number;
  /** Encoded bytes handed to a streaming decoder at a time; bounds memory for compressed formats. */
  readonly chunkBytes: number;
};

export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxDurationSec: 600,
  minDurationSec: 2,
  minSampleRate: 500,
  maxSampleRate: 192_000,
  maxBytes: 256 * 1024 * 1024,
  timeoutMs: 20_000,
  chunkBytes: 1024 * 1024,
};

export function assertSampleRate(sampleRate: number, limits: DecodeLimits): void {
  if (!(sampleRate >= limits.minSampleRate && sampleRate <= limits.maxSampleRate)) {
    throw badSampleRate(sampleRate, limits.minSampleRate, limits.maxSampleRate);
  }
}
