// The answers of the shipped model versions on samples/ are fixed: a faster feature path or
// inference path must give the same labels, probabilities and window logits (within 1e-5) as the
// code that recorded them (scripts/perf/record-sample-predictions.ts; re-record only when a change
// of the answers is intended).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_MODELS_DIR, loadRecordingScreener } from '@heartbeat/model';

const ROOT = join(__dirname, '..', '..', '..');
const TOLERANCE = 1e-5;

type Answer = {
  label: string;
  probability: number;
  quality: number;
  meanLogit: number;
  cycleLogit: number | null;
  windowLogits: number[];
};
const recorded = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'sample-predictions.json'), 'utf8')) as {
  versions: Record<string, Record<string, Answer>>;
};

describe('answers on samples/ stay what they were', () => {
  for (const [version, answers] of Object.entries(recorded.versions)) {
    it(`model ${version} gives every sample the recorded label, probability and window logits`, async () => {
      const screener = await loadRecordingScreener(join(BUNDLED_MODELS_DIR, version));
      for (const [file, expected] of Object.entries(answers)) {
        const result = await screener.screen(readFileSync(join(ROOT, file)));
        expect(result.label, file).toBe(expected.label);
        expect(
          Math.abs(result.probability - expected.probability),
          `${file} probability`,
        ).toBeLessThanOrEqual(TOLERANCE);
        expect(Math.abs(result.quality - expected.quality), `${file} quality`).toBeLessThanOrEqual(TOLERANCE);
        expect(Math.abs(result.meanLogit - expected.meanLogit), `${file} mean logit`).toBeLessThanOrEqual(
          TOLERANCE,
        );
        if (expected.cycleLogit === null) expect(result.cycleLogit, file).toBeUndefined();
        else
          expect(
            Math.abs(result.cycleLogit! - expected.cycleLogit),
            `${file} heart-cycle logit`,
          ).toBeLessThanOrEqual(TOLERANCE);
        expect(result.windowLogits, file).toHaveLength(expected.windowLogits.length);
        result.windowLogits.forEach((logit, i) =>
          expect(Math.abs(logit - expected.windowLogits[i]), `${file} window ${i}`).toBeLessThanOrEqual(
            TOLERANCE,
          ),
        );
      }
    }, 60_000);
  }
});
