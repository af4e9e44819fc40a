import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CYCLE_MODEL_FILE, type LabelledRecording, readCycleModel, seededRandom } from '@heartbeat/model';
import { syntheticHeartRecording } from '@heartbeat/model/testing';
import { trainCycleModel } from './cycle-model-training';

const directory = mkdtempSync(join(tmpdir(), 'heartbeat-cycle-training-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function recordings(count: number, seed: number) {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const label = i % 2 === 1 ? ('abnormal' as const) : ('normal' as const);
    const recording: LabelledRecording = {
      id: `s${seed}-${i}`,
      path: `/nowhere/s${seed}-${i}.wav`,
      label,
      subset: 'synthetic',
    };
    return { recording, signal: syntheticHeartRecording(label === 'abnormal', random) };
  });
}

describe('trainCycleModel', () => {
  const training = recordings(60, 1);
  const validation = recordings(30, 2);
  const signals = new Map(validation.map((c) => [c.recording.id, c.signal]));
  // A network that knows nothing: every validation record has mean logit 0.
  const outcome = trainCycleModel({
    training,
    validation: validation.map((c) => ({ recording: c.recording, meanLogit: 0 })),
    signalOf: (recording) => signals.get(recording.id),
    weight: 0.5,
    thresholdRule: 'pooled-macc',
    outDir: directory,
  });

  it("adds half the cycle model's logit to each record's score and writes the model file", () => {
    for (const s of outcome.validationScores) expect(s.score).toBeCloseTo(0.5 * s.cycleLogit, 12);
    expect(existsSync(join(directory, CYCLE_MODEL_FILE))).toBe(true);
    expect(readCycleModel(join(directory, CYCLE_MODEL_FILE)).featureNames).toEqual(
      outcome.cycleModel.featureNames,
    );
  });

  it('refits the decision on the combined scores: it now separates what the network could not', () => {
    const called = outcome.validationScores.map(
      (s) =>
        1 / (1 + Math.exp(-(outcome.calibration.slope * s.score + outcome.calibration.intercept))) >=
        outcome.threshold,
    );
    const correct = called.filter(
      (abnormal, i) => abnormal === (validation[i].recording.label === 'abnormal'),
    ).length;
    expect(correct / called.length).toBeGreaterThanOrEqual(0.9);
  });

  it('scores other records with the same model, and says which signal is missing', () => {
    expect(outcome.score([{ recording: validation[0].recording, meanLogit: 1 }])[0].score).toBeCloseTo(
      1 + 0.5 * outcome.validationScores[0].cycleLogit,
      12,
    );
    expect(() =>
      outcome.score([{ recording: { ...validation[0].recording, id: 'gone' }, meanLogit: 0 }]),
    ).toThrow(/no conditioned signal for gone/);
  });
});
