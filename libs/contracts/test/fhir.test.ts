// The FHIR presentations validate against the official FHIR R4 JSON schema.
import JSONSchemaValidator from '@asymmetrik/fhir-json-schema-validator';
import { describe, expect, it } from 'vitest';
import { batchDiagnosticReport, predictionObservation, type FhirPrediction } from '@heartbeat/contracts';

const validator = new JSONSchemaValidator();
const errorsOf = (resource: unknown) => validator.validate(resource, true) as unknown[];

const screened: FhirPrediction = {
  id: '6f1c1a52-27cc-4b43-9f41-0b8c7b1f3a10',
  recordingId: '0b5b1d1e-5d8b-4e8f-a3b0-6d3b5f0c2a11',
  status: 'succeeded',
  label: 'abnormal',
  probability: 0.91,
  quality: 0.84,
  threshold: 0.42,
  modelVersion: '1.6.0',
  site: 'cardiology-east',
  error: null,
  createdAt: '2026-12-07T09:00:00.000Z',
  completedAt: '2026-12-07T09:00:01.000Z',
};
const failed: FhirPrediction = {
  ...screened,
  id: '8d0e4c3f-5a3e-4a0e-8d63-3c6c9f2b7e22',
  status: 'failed',
  label: null,
  probability: null,
  quality: null,
  threshold: null,
  error: { code: 'TOO_SHORT', message: 'The recording lasts 0.5 s; at least 2 s is needed.' },
};
const pending: FhirPrediction = {
  ...failed,
  id: '9a7e6c5d-4b3a-4c2b-9a1b-2c3d4e5f6a33',
  status: 'pending',
  error: null,
  completedAt: null,
};

describe('FHIR R4 presentation', () => {
  it('presents a screened recording as a valid Observation with its label coded and its figures as components', () => {
    const observation = predictionObservation(screened);
    expect(errorsOf(observation)).toEqual([]);
    expect(observation).toMatchObject({
      resourceType: 'Observation',
      id: screened.id,
      status: 'final',
      valueCodeableConcept: { text: 'abnormal' },
    });
    expect(observation.valueCodeableConcept!.coding![0]).toEqual({
      system: 'http://snomed.info/sct',
      code: '263654008',
      display: 'Abnormal',
    });
    expect(observation.component!.map((c) => [c.code.coding![0]!.code, c.valueQuantity!.value])).toEqual([
      ['probability-abnormal', 0.91],
      ['signal-quality', 0.84],
      ['decision-threshold', 0.42],
    ]);
    expect(observation.device!.display).toBe('HeartBeat model 1.6.0, site cardiology-east');
  });

  it('presents a recording that could not be screened with a data-absent reason naming its error, and a pending one as registered', () => {
    const observation = predictionObservation(failed);
    expect(errorsOf(observation)).toEqual([]);
    expect(observation.valueCodeableConcept).toBeUndefined();
    expect(observation.dataAbsentReason).toMatchObject({
      coding: [{ code: 'error' }],
      text: expect.stringContaining('TOO_SHORT'),
    });
    expect(errorsOf(predictionObservation(pending))).toEqual([]);
    expect(predictionObservation(pending).status).toBe('registered');
  });

  it('presents a batch as a valid DiagnosticReport containing and referencing its Observations', () => {
    const report = batchDiagnosticReport(
      {
        batchId: '1e2d3c4b-5a69-4788-9aab-bccddeeff001',
        status: 'completed',
        total: 2,
        succeeded: 1,
        failed: 1,
        createdAt: '2026-12-07T09:00:00.000Z',
        finishedAt: '2026-12-07T09:00:05.000Z',
      },
      [screened, failed],
    );
    expect(errorsOf(report)).toEqual([]);
    expect(report.status).toBe('final');
    expect(report.result).toEqual([{ reference: `#${screened.id}` }, { reference: `#${failed.id}` }]);
    expect(report.contained).toHaveLength(2);
    expect(report.conclusion).toBe(
      '2 recordings: 1 screened (1 abnormal, 0 unsure), 1 could not be screened.',
    );
  });

  it('is checked by a validator that does catch an invalid resource', () => {
    expect(errorsOf({ ...predictionObservation(screened), status: 'done' }).length).toBeGreaterThan(0);
  });
});
