// Every error code the gateway answers with, or records on a prediction, with one HTTP status and
// one meaning each. ApiError only takes these codes; a test holds every construction to its status;
// the OpenAPI document and the README list them.
import type { AudioErrorCode } from '@heartbeat/audio';

export interface ErrorCodeEntry {
  status: number;
  meaning: string;
}

/** The audio library's codes: 415/413 when the bytes are not a recording or too big, 422 when they cannot be screened. */
const AUDIO_ERRORS: Record<AudioErrorCode, ErrorCodeEntry> = {
  UNSUPPORTED_FORMAT: {
    status: 415,
    meaning:
      'The bytes are not a recording HeartBeat reads (WAV, FLAC, MP3, OGG/Opus, or a WFDB record as .hea + .dat); the message names what was sent.',
  },
  CORRUPT_AUDIO: { status: 422, meaning: 'The recording is damaged or truncated and cannot be decoded.' },
  EMPTY_FILE: { status: 415, meaning: 'The file is empty (0 bytes).' },
  TOO_SHORT: { status: 422, meaning: 'The recording is shorter than 2 s.' },
  TOO_LONG: { status: 422, meaning: 'The recording is longer than 10 min.' },
  SILENT: { status: 422, meaning: 'The recording holds only silence.' },
  BAD_SAMPLE_RATE: { status: 422, meaning: 'The sample rate is missing or outside 500 Hz-192 kHz.' },
  INVALID_SAMPLES: { status: 422, meaning: 'The recording holds NaN or infinite samples.' },
  FILE_TOO_LARGE: { status: 413, meaning: 'A file is larger than MAX_UPLOAD_BYTES.' },
};

export const ERROR_CATALOGUE = {
  // Access
  API_KEY_MISSING: {
    status: 401,
    meaning: 'The route needs an API key (Authorization: Bearer <key> or X-API-Key).',
  },
  API_KEY_INVALID: { status: 401, meaning: 'The API key is unknown, revoked or expired.' },
  FORBIDDEN_ROLE: {
    status: 403,
    meaning: "The key's role may not call this route (admin routes need an admin key).",
  },
  RATE_LIMITED: { status: 429, meaning: 'Too many requests for this key; retry after Retry-After seconds.' },
  // The request itself
  BAD_REQUEST: { status: 400, meaning: 'The request is malformed.' },
  MALFORMED_JSON: { status: 400, meaning: 'The JSON body cannot be parsed.' },
  VALIDATION_FAILED: {
    status: 400,
    meaning: 'A parameter or body field is missing or invalid; the message names it.',
  },
  NOT_MULTIPART: {
    status: 415,
    meaning: 'An upload route was sent something other than multipart/form-data.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    meaning: 'The request body has a content type this route does not take.',
  },
  MALFORMED_MULTIPART: {
    status: 400,
    meaning:
      'The multipart body cannot be read (cut off before its closing boundary, or the client went away).',
  },
  NO_FILES: { status: 400, meaning: 'The request holds no recording in the expected field.' },
  UNEXPECTED_FIELD: { status: 400, meaning: 'A file or field arrived under a name the route does not take.' },
  TOO_MANY_FILES: {
    status: 413,
    meaning: 'More files than the route takes (MAX_BATCH_FILES; one on /predict).',
  },
  PAYLOAD_TOO_LARGE: { status: 413, meaning: 'The request body is larger than the limits allow.' },
  WFDB_PARTS_UNPAIRED: {
    status: 400,
    meaning: 'Too many WFDB parts waiting for their partner; send each .hea with its .dat.',
  },
  METHOD_NOT_ALLOWED: { status: 405, meaning: 'The route does not take this HTTP method.' },
  NOT_ACCEPTABLE: {
    status: 406,
    meaning: 'The route cannot answer in the format the Accept header asks for.',
  },
  IDEMPOTENCY_KEY_INVALID: {
    status: 400,
    meaning: 'The Idempotency-Key header is not 1-255 printable characters.',
  },
  IDEMPOTENCY_KEY_IN_USE: {
    status: 409,
    meaning: 'A request with the same Idempotency-Key is still running; retry later.',
  },
  UPLOAD_ENDED: {
    status: 409,
    meaning: 'The batch this retried upload belongs to was ended; retry with a new Idempotency-Key.',
  },
  // Things that are not there
  NOT_FOUND: { status: 404, meaning: 'No such route.' },
  BATCH_NOT_FOUND: { status: 404, meaning: 'No batch with that id.' },
  PREDICTION_NOT_FOUND: { status: 404, meaning: 'No prediction with that id.' },
  RECORDING_NOT_FOUND: { status: 404, meaning: 'No recording with that id.' },
  OBJECT_NOT_FOUND: { status: 404, meaning: 'A key named in a batch is not in the bucket.' },
  API_KEY_NOT_FOUND: { status: 404, meaning: 'No API key with that id.' },
  MODEL_VERSION_NOT_FOUND: { status: 404, meaning: 'No model version with that number.' },
  NO_PROMOTED_MODEL: { status: 404, meaning: 'No model version is promoted yet.' },
  TRAINING_RUN_NOT_FOUND: { status: 404, meaning: 'No training run with that id.' },
  SITE_NOT_FOUND: { status: 404, meaning: 'No site with that name.' },
  // Screening and training
  ...AUDIO_ERRORS,
  RECORDING_BYTES_MISSING: {
    status: 422,
    meaning:
      "On a prediction: the recording's audio is no longer in object storage (deleted or lost); upload it again.",
  },
  UNKNOWN_SITE: { status: 422, meaning: 'The request names a site that does not exist.' },
  MODEL_VERSION_UNAVAILABLE: { status: 422, meaning: 'The job asked for a model version no worker serves.' },
  PREDICTION_FAILED: {
    status: 503,
    meaning: 'Screening failed for a reason other than the recording (after its retries); retry later.',
  },
  NOT_QUEUED: {
    status: 503,
    meaning: 'The recording was stored but the job queue could not be reached; send it again.',
  },
  UPLOAD_ABORTED: {
    status: 503,
    meaning: 'The upload this recording came with was cut off before it was queued; send it again.',
  },
  INVALID_LABEL: { status: 400, meaning: 'A training label is not normal or abnormal (or -1/1).' },
  MISSING_LABEL: { status: 400, meaning: 'An uploaded training recording has no label.' },
  INVALID_MANIFEST: { status: 400, meaning: 'The labels manifest (CSV) cannot be read.' },
  INVALID_SITE: { status: 400, meaning: 'A site name is not 1-40 letters, digits or dashes.' },
  SITE_CONFLICT: { status: 400, meaning: 'The request names two different sites.' },
  SITE_EXISTS: { status: 409, meaning: 'A site with that name exists already.' },
  SITE_FIELD_AFTER_FILES: {
    status: 400,
    meaning: 'The site field must come before the files in the multipart body.',
  },
  SITE_NOT_CALIBRATED: {
    status: 404,
    meaning: "The site has no calibration in force; its requests get the model's own decision.",
  },
  SITE_RECORDS_ONE_CLASS: {
    status: 422,
    meaning: 'A site calibration needs labelled local recordings of both classes.',
  },
  SITE_RECORDS_TOO_FEW: { status: 422, meaning: 'A site calibration needs more labelled local recordings.' },
  SITE_RANKING_INVERTED: {
    status: 422,
    meaning: "The model ranks this site's recordings the wrong way round; no calibration can repair that.",
  },
  SITE_RANKING_TOO_WEAK: {
    status: 422,
    meaning: "The model ranks this site's recordings too weakly for a trustworthy calibration.",
  },
  API_KEY_EXPIRY_PAST: { status: 400, meaning: 'An API key cannot expire in the past.' },
  TRAINING_RUN_ACTIVE: { status: 409, meaning: 'A training run is already queued or running.' },
  TRAINING_RUN_FINISHED: { status: 409, meaning: 'The training run has finished and cannot be cancelled.' },
  MODEL_VERSION_PROMOTED: {
    status: 409,
    meaning: 'The version is the one being served; promote another before retiring it.',
  },
  NO_PREVIOUS_VERSION: { status: 409, meaning: 'There is no earlier version to roll back to.' },
  NO_BUNDLED_MODEL: {
    status: 409,
    meaning: 'No model is promoted and no shipped model was found to register.',
  },
  MODEL_ARTIFACTS_MISSING: {
    status: 409,
    meaning:
      "The version's files are missing from the object store; restore the bucket or promote another version.",
  },
  MODEL_ARTIFACTS_INVALID: { status: 500, meaning: "The version's files are damaged." },
  // The service
  SERVICE_UNAVAILABLE: {
    status: 503,
    meaning: 'PostgreSQL, Redis or the object store is out of reach; retry after Retry-After seconds.',
  },
  INTERNAL_ERROR: { status: 500, meaning: 'A fault of the gateway; the operator finds it in the logs.' },
} as const satisfies Record<string, ErrorCodeEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CATALOGUE, code);
}

/** The catalogue as a Markdown table (README section "Error codes"). */
export function errorCatalogueMarkdown(): string {
  const rows = ERROR_CODES.map(
    (code) => `| \`${code}\` | ${ERROR_CATALOGUE[code].status} | ${ERROR_CATALOGUE[code].meaning} |`,
  );
  return ['| code | status | meaning |', '|---|---|---|', ...rows].join('\n');
}
