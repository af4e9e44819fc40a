// A recording decoded to mono float samples for the recording view, by the audio lib the model's
// own pipeline uses (browsers' Web Audio refuses PhysioNet's 2 kHz files). Body: little-endian
// Float32 samples; the sample rate is in the X-Sample-Rate header.
import { decodeAudio, isAudioError } from '@heartbeat/audio';
import { GatewayError } from '@heartbeat/api-client';
import { currentSession, gatewayFor } from '../../../../../lib/server-session';

export const dynamic = 'force-dynamic';

function problem(status: number, code: string, message: string): Response {
  return Response.json({ code, message }, { status });
}

export async function GET(
  _request: Request,
  { params }: { params: Promise<{ id: string }> },
): Promise<Response> {
  const session = await currentSession();
  if (!session) return problem(401, 'SIGNED_OUT', 'Your console session has ended; sign in again.');
  const { id } = await params;
  try {
    const link = await gatewayFor(session).recordingLink(id);
    const object = await fetch(link.url, { cache: 'no-store', signal: AbortSignal.timeout(60_000) });
    if (!object.ok)
      return problem(
        502,
        'RECORDING_UNAVAILABLE',
        `Object storage answered ${object.status} for the recording.`,
      );
    const decoded = await decodeAudio(new Uint8Array(await object.arrayBuffer()));
    // A copy, so the body is exactly these samples (a decoder's array may view a larger buffer).
    return new Response(Float32Array.from(decoded.samples).buffer, {
      headers: {
        'content-type': 'application/octet-stream',
        'cache-control': 'private, max-age=300',
        'x-sample-rate': String(decoded.sampleRate),
      },
    });
  } catch (error) {
    if (error instanceof GatewayError)
      return problem(error.unreachable ? 502 : error.status, error.code, error.message);
    if (isAudioError(error)) return problem(422, error.code, error.message);
    return problem(502, 'RECORDING_UNAVAILABLE', `Could not read the recording: ${(error as Error).message}`);
  }
}
