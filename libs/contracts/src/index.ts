export {
  PREDICTION_LABELS,
  predictionLabelSchema,
  probabilitySchema,
  qualityScoreSchema,
  windowScoreSchema,
  type PredictionLabel,
  type WindowScore,
} from './prediction';
export { csvLine, defuseFormula, toCsv, type CsvValue } from './csv';
export {
  batchDiagnosticReport,
  predictionObservation,
  FHIR_JSON,
  type FhirPrediction,
  type FhirBatch,
} from './fhir';
