// Which gateway calls the browser may make through the console (the session's key is added
// server-side). Everything else is refused, so the proxy cannot be used as an open door to the API.

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

const RULES: { method: 'GET' | 'POST'; path: RegExp }[] = [
  { method: 'POST', path: /^predict$/ },
  { method: 'POST', path: /^api\/v1\/batches$/ },
  { method: 'GET', path: new RegExp(`^api/v1/batches/${UUID}(/results)?$`) },
  { method: 'GET', path: new RegExp(`^api/v1/predictions/${UUID}$`) },
  { method: 'GET', path: /^api\/v1\/training-status$/ },
  { method: 'GET', path: new RegExp(`^api/v1/training-runs(/${UUID})?$`) },
  { method: 'POST', path: /^api\/v1\/training-data$/ },
];

export function proxyAllowed(method: string, path: string): boolean {
  return RULES.some((rule) => rule.method === method && rule.path.test(path));
}

/** A state-changing call must come from the console's own pages (CSRF): its Origin, when sent, names this host. */
export function sameOrigin(origin: string | null, host: string | null): boolean {
  if (!origin) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Request headers passed on to the gateway; cookies and the browser's own headers stay behind. */
export const FORWARDED_REQUEST_HEADERS = ['content-type', 'accept', 'idempotency-key'];
/** Response headers passed back to the browser. */
export const FORWARDED_RESPONSE_HEADERS = [
  'content-type',
  'content-disposition',
  'retry-after',
  'x-ratelimit-remaining',
];
