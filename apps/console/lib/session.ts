// The sign-in session: the API key, its role and an expiry, sealed with AES-256-GCM into the value of
// an HTTP-only cookie. The browser holds only ciphertext; the key is opened server-side per request.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Role } from '@heartbeat/api-client';

export const SESSION_COOKIE = 'hb_session';

export interface Session {
  apiKey: string;
  role: Role;
  name: string | null;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

const keyOf = (secret: string) => createHash('sha256').update(`heartbeat-console-session:${secret}`).digest();

export function sealSession(session: Session, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(secret), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(session), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** The session, or null when the value was not sealed with this secret, was altered, or has expired. */
export function openSession(token: string | undefined, secret: string, now = Date.now()): Session | null {
  if (!token) return null;
  try {
    const raw = Buffer.from(token, 'base64url');
    if (raw.length < 29) return null;
    const decipher = createDecipheriv('aes-256-gcm', keyOf(secret), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    const session = JSON.parse(
      Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8'),
    ) as Session;
    if (typeof session.apiKey !== 'string' || (session.role !== 'admin' && session.role !== 'screening'))
      return null;
    if (typeof session.expiresAt !== 'number' || session.expiresAt <= now) return null;
    return session;
  } catch {
    return null;
  }
}

/** What a role may see in the console (the gateway enforces the same on every call). */
export function canManage(role: Role | undefined): boolean {
  return role === 'admin';
}
