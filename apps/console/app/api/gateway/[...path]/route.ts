// The browser's way to the gateway: allow-listed calls, the session's key added here, bodies streamed
// both ways (multipart uploads of many recordings, CSV exports).
import { GatewayError } from '@heartbeat/api-client';
import {
  FORWARDED_REQUEST_HEADERS,
  FORWARDED_RESPONSE_HEADERS,
  proxyAllowed,
  sameOrigin,
} from '../../../../lib/proxy-rules';
import { currentSession, gatewayFor } from '../../../../lib/server-session';

export const dynamic = 'force-dynamic';

const UPLOAD_TIMEOUT_MS = 15 * 60_000;

function problem(status: number, code: string, message: string): Response {
  return Response.json({ statusCode: status, code, message }, { status });
}

async function forward(
  request: Request,
  { params }: { params: Promise<{ path: string[] }> },
): Promise<Response> {
  const path = (await params).path.join('/');
  if (!proxyAllowed(request.method, path))
    return problem(404, 'NOT_FOUND', `The console does not forward ${request.method} /${path}.`);
  if (request.method !== 'GET' && !sameOrigin(request.headers.get('origin'), request.headers.get('host')))
    return problem(403, 'CROSS_ORIGIN', 'Requests that change data must come from the console itself.');
  const session = await currentSession();
  if (!session) return problem(401, 'SIGNED_OUT', 'Your console session has ended; sign in again.');

  const headers = new Headers();
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value) headers.set(name, value);
  }
  const query = Object.fromEntries(new URL(request.url).searchParams);
  try {
    const upstream = await gatewayFor(session).send(request.method, `/${path}`, {
      query,
      headers,
      body: request.method === 'GET' ? undefined : request.body,
      timeoutMs: request.method === 'GET' ? 30_000 : UPLOAD_TIMEOUT_MS,
    });
    const responseHeaders = new Headers({ 'cache-control': 'no-store' });
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = upstream.headers.get(name);
      if (value) responseHeaders.set(name, value);
    }
    return new Response(upstream.body, { status: upstream.status, headers: responseHeaders });
  } catch (error) {
    if (error instanceof GatewayError) return problem(502, error.code, error.message);
    throw error;
  }
}

export { forward as GET, forward as POST };
