// Sessions inside Next.js: reads and writes the sealed cookie, and gives server code a gateway
// client carrying the signed-in key. Server-only: the key never reaches a client component.
import { randomBytes } from 'node:crypto';
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { GatewayClient, type Role } from '@heartbeat/api-client';
import { consoleConfig } from './config';
import { openSession, sealSession, SESSION_COOKIE, type Session } from './session';

let processSecret: string | undefined;

function sessionSecret(): string {
  const configured = consoleConfig().sessionSecret;
  if (configured) return configured;
  processSecret ??= randomBytes(32).toString('hex');
  return processSecret;
}

export async function currentSession(): Promise<Session | null> {
  const jar = await cookies();
  return openSession(jar.get(SESSION_COOKIE)?.value, sessionSecret());
}

/** The session, or a redirect to the sign-in page; with a role, a screening user asking for an admin page goes to /. */
export async function requireSession(role?: Role): Promise<Session> {
  const session = await currentSession();
  if (!session) redirect('/sign-in');
  if (role === 'admin' && session.role !== 'admin') redirect('/?forbidden=admin');
  return session;
}

export function gatewayFor(session: Session | null): GatewayClient {
  return new GatewayClient({ baseUrl: consoleConfig().gatewayUrl, apiKey: session?.apiKey });
}

async function secureCookie(): Promise<boolean> {
  const setting = consoleConfig().secureCookies;
  if (setting !== 'auto') return setting === 'true';
  const forwarded = (await headers()).get('x-forwarded-proto');
  return forwarded === 'https';
}

export async function startSession(apiKey: string, role: Role, name: string | null): Promise<void> {
  const hours = consoleConfig().sessionHours;
  const expiresAt = Date.now() + hours * 3_600_000;
  const jar = await cookies();
  jar.set(SESSION_COOKIE, sealSession({ apiKey, role, name, expiresAt }, sessionSecret()), {
    httpOnly: true,
    sameSite: 'strict',
    secure: await secureCookie(),
    path: '/',
    maxAge: Math.floor(hours * 3600),
  });
}

export async function endSession(): Promise<void> {
  (await cookies()).delete(SESSION_COOKIE);
}
