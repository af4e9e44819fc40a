// FHIR R4 presentation of screening results for integrators whose systems speak FHIR: one
// Observation per prediction, and a DiagnosticReport per batch that carries its Observations.
// Identifiers and model version only; no file name (it may name the patient) and no audio.
import type {
  CodeableConcept,
  DiagnosticReport,
  Observation,
  ObservationComponent,
} from '@medplum/fhirtypes';
import type { PredictionLabel } from './prediction';

export const FHIR_JSON = 'application/fhir+json';

const SNOMED = 'http://snomed.info/sct';
const UCUM = 'http://unitsofmeasure.org';
/** HeartBeat's own code systems (URNs: nothing to resolve, unique to the product). */
const HEARTBEAT_CODES = 'urn:heartbeat:fhir:code';
const PREDICTION_IDS = 'urn:heartbeat:prediction';
const RECORDING_IDS = 'urn:heartbeat:recording';
const BATCH_IDS = 'urn:heartbeat:batch';

/** A prediction as the API presents it (the fields FHIR needs). */
export interface FhirPrediction {
  id: string;
  recordingId: string;
  status: string;
  label: PredictionLabel | string | null;
  probability: number | null;
  quality: number | null;
  threshold?: number | null;
  modelVersion: string | null;
  site?: string | null;
  error: { code: string; message: string } | null;
  createdAt: string;
  completedAt: string | null;
}

export interface FhirBatch {
  batchId: string;
  status: string;
  total: number;
  succeeded: number;
  failed: number;
  createdAt: string;
  finishedAt: string | null;
}

const SCREENING_CODE: CodeableConcept = {
  coding: [
    {
      system: HEARTBEAT_CODES,
      code: 'pcg-screening',
      display: 'Heart sound (phonocardiogram) screening result',
    },
  ],
  text: 'Heart sound screening (HeartBeat)',
};

// SNOMED CT qualifier values: 17621005 |Normal|, 263654008 |Abnormal|, 82334004 |Indeterminate|.
const LABEL_CONCEPTS: Record<PredictionLabel, CodeableConcept> = {
  normal: {
    coding: [
      { system: SNOMED, code: '17621005', display: 'Normal' },
      { system: HEARTBEAT_CODES, code: 'normal' },
    ],
    text: 'normal',
  },
  abnormal: {
    coding: [
      { system: SNOMED, code: '263654008', display: 'Abnormal' },
      { system: HEARTBEAT_CODES, code: 'abnormal' },
    ],
    text: 'abnormal',
  },
  unsure: {
    coding: [
      { system: SNOMED, code: '82334004', display: 'Indeterminate' },
      { system: HEARTBEAT_CODES, code: 'unsure' },
    ],
    text: 'unsure: the signal is too poor to judge',
  },
};

const fraction = (code: string, display: string, value: number): ObservationComponent => ({
  code: { coding: [{ system: HEARTBEAT_CODES, code, display }], text: display },
  valueQuantity: { value, unit: '1', system: UCUM, code: '1' },
});

const OBSERVATION_STATUS: Record<string, Observation['status']> = {
  succeeded: 'final',
  failed: 'final',
  pending: 'registered',
};

/** The Observation for one prediction: the label, with probability, quality and threshold as components. */
export function predictionObservation(prediction: FhirPrediction): Observation {
  const components: ObservationComponent[] = [];
  if (prediction.probability !== null)
    components.push(
      fraction(
        'probability-abnormal',
        'Calibrated probability of an abnormal recording',
        prediction.probability,
      ),
    );
  if (prediction.quality !== null)
    components.push(fraction('signal-quality', 'Signal quality (0 unusable, 1 clean)', prediction.quality));
  if (prediction.threshold !== null && prediction.threshold !== undefined)
    components.push(
      fraction('decision-threshold', 'Decision threshold applied to the probability', prediction.threshold),
    );
  const concept = prediction.label ? LABEL_CONCEPTS[prediction.label as PredictionLabel] : undefined;
  const observation: Observation = {
    resourceType: 'Observation',
    id: prediction.id,
    identifier: [{ system: PREDICTION_IDS, value: prediction.id }],
    status: OBSERVATION_STATUS[prediction.status] ?? 'unknown',
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/observation-category',
            code: 'exam',
            display: 'Exam',
          },
        ],
      },
    ],
    code: SCREENING_CODE,
    issued: prediction.completedAt ?? prediction.createdAt,
    effectiveDateTime: prediction.createdAt,
    device: {
      display: prediction.modelVersion
        ? `HeartBeat model ${prediction.modelVersion}${prediction.site ? `, site ${prediction.site}` : ''}`
        : 'HeartBeat',
    },
    derivedFrom: [
      {
        type: 'Media',
        identifier: { system: RECORDING_IDS, value: prediction.recordingId },
        display: 'Heart sound recording',
      },
    ],
    note: [
      {
        text: 'Clinical decision support: ranks and flags recordings for a cardiologist; a clinician decides.',
      },
    ],
  };
  if (concept) observation.valueCodeableConcept = concept;
  else
    observation.dataAbsentReason = {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason',
          code: prediction.status === 'failed' ? 'error' : 'not-performed',
        },
      ],
      text: prediction.error ? `${prediction.error.code}: ${prediction.error.message}` : 'Not screened yet',
    };
  if (components.length > 0) observation.component = components;
  return observation;
}

/** The DiagnosticReport for a batch, its predictions' Observations contained and referenced as results. */
export function batchDiagnosticReport(
  batch: FhirBatch,
  predictions: readonly FhirPrediction[],
): DiagnosticReport {
  const observations = predictions.map(predictionObservation);
  const abnormal = predictions.filter((p) => p.label === 'abnormal').length;
  const unsure = predictions.filter((p) => p.label === 'unsure').length;
  const finished = batch.status === 'completed' || batch.status === 'failed' || batch.status === 'cancelled';
  return {
    resourceType: 'DiagnosticReport',
    id: batch.batchId,
    identifier: [{ system: BATCH_IDS, value: batch.batchId }],
    status: finished ? 'final' : 'partial',
    code: {
      coding: [
        { system: HEARTBEAT_CODES, code: 'pcg-screening-batch', display: 'Heart sound screening batch' },
      ],
      text: 'Heart sound screening batch (HeartBeat)',
    },
    effectiveDateTime: batch.createdAt,
    issued: batch.finishedAt ?? batch.createdAt,
    contained: observations,
    result: observations.map((observation) => ({ reference: `#${observation.id}` })),
    conclusion: `${batch.total} recordings: ${batch.succeeded} screened (${abnormal} abnormal, ${unsure} unsure), ${batch.failed} could not be screened.`,
  };
}
