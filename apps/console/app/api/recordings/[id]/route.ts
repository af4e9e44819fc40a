// A recording's bytes for the browser to decode and play, fetched server-side from its presigned
// object-storage URL (the browser may not reach the bucket, and the bucket sends no CORS headers).
import { GatewayError } from '@heartbeat/api-client';
import { currentSession, gatewayFor } from '../../../../lib/server-session';

export const dynamic = 'force-dynamic';

export async function GET(
  _request: Request,
  { params }: { params: Promise<{ id: string }> },
): Promise<Response> {
  const session = await currentSession();
  if (!session)
    return Response.json(
      { code: 'SIGNED_OUT', message: 'Your console session has ended; sign in again.' },
      { status: 401 },
    );
  const { id } = await params;
  try {
    const link = await gatewayFor(session).recordingLink(id);
    const object = await fetch(link.url, { cache: 'no-store', signal: AbortSignal.timeout(60_000) });
    if (!object.ok)
      return Response.json(
        {
          code: 'RECORDING_UNAVAILABLE',
          message: `Object storage answered ${object.status} for the recording.`,
        },
        { status: 502 },
      );
    return new Response(object.body, {
      headers: {
        'content-type': object.headers.get('content-type') ?? 'application/octet-stream',
        'cache-control': 'private, max-age=300',
        'content-disposition': `inline; filename="${link.fileName.replace(/"/g, '')}"`,
      },
    });
  } catch (error) {
    if (error instanceof GatewayError)
      return Response.json(
        { code: error.code, message: error.message },
        { status: error.unreachable ? 502 : error.status },
      );
    return Response.json(
      {
        code: 'RECORDING_UNAVAILABLE',
        message: `Could not fetch the recording: ${(error as Error).message}`,
      },
      { status: 502 },
    );
  }
}
