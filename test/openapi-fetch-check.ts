// Integration-test setup file: every response a test receives from a HeartBeat gateway through
// fetch is checked against the OpenAPI document that gateway serves (test/openapi-responses.ts).
// A response the document does not describe fails the test at the fetch that received it.
import { OpenApiResponseValidator, type OpenApiDocument } from './openapi-responses';

const DOCUMENT_PATH = '/docs/openapi.json';
const originalFetch = globalThis.fetch;
/** Per origin: the gateway's validator, or null for a server that is not a gateway (S3, Prometheus, ...). */
const validators = new Map<string, OpenApiResponseValidator | null>();

async function validatorFor(origin: string): Promise<OpenApiResponseValidator | null | undefined> {
  if (validators.has(origin)) return validators.get(origin);
  let answer: Response;
  try {
    answer = await originalFetch(`${origin}${DOCUMENT_PATH}`, { signal: AbortSignal.timeout(10_000) });
  } catch {
    return undefined; // Unreachable now (a gateway a test has stopped): ask again next time.
  }
  const document = answer.ok ? ((await answer.json().catch(() => null)) as OpenApiDocument | null) : null;
  if (!answer.ok) await answer.body?.cancel();
  const validator =
    document && typeof document === 'object' && 'paths' in document
      ? new OpenApiResponseValidator(document)
      : null;
  validators.set(origin, validator);
  return validator;
}

function describeRequest(
  input: Parameters<typeof fetch>[0],
  init?: RequestInit,
): { method: string; url: URL } {
  if (input instanceof Request) return { method: input.method, url: new URL(input.url) };
  return { method: (init?.method ?? 'GET').toUpperCase(), url: new URL(String(input)) };
}

globalThis.fetch = async function checkedFetch(input, init) {
  const response = await originalFetch(input, init);
  const { method, url } = describeRequest(input, init);
  if (url.pathname === DOCUMENT_PATH || !/^https?:$/.test(url.protocol)) return response;
  const validator = await validatorFor(url.origin);
  if (!validator) return response;
  const contentType = response.headers.get('content-type') ?? '';
  let body: unknown;
  if (method !== 'HEAD' && /json/i.test(contentType)) {
    const text = await response.clone().text();
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new Error(
        `${method} ${url.pathname} answered ${response.status} with ${contentType} that is not JSON: ${text.slice(0, 200)}`,
      );
    }
  }
  const problems = validator.problems(method, url.pathname, response.status, contentType, body);
  if (problems.length > 0)
    throw new Error(
      `The response does not match the gateway's OpenAPI document:\n  ${problems.join('\n  ')}`,
    );
  return response;
} as typeof fetch;
