// Liveness of the console itself (the gateway reports the rest of the system at /health).
export const dynamic = 'force-dynamic';

export function GET(): Response {
  return Response.json({ status: 'ok', service: 'console' });
}
