import { describe, expect, it } from 'vitest';
import { openSession, sealSession, type Session } from '../lib/session';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const session: Session = {
  apiKey: 'hb_secretkey',
  role: 'screening',
  name: 'ward 3',
  expiresAt: Date.now() + 60_000,
};

describe('console session cookie', () => {
  it('opens what it sealed', () => {
    expect(openSession(sealSession(session, secret), secret)).toEqual(session);
  });

  it('does not carry the API key in readable form', () => {
    const sealed = sealSession(session, secret);
    expect(sealed).not.toContain('hb_secretkey');
    expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain('hb_secretkey');
  });

  it('refuses a value sealed with another secret', () => {
    expect(openSession(sealSession(session, secret), `${secret}-other`)).toBeNull();
  });

  it('refuses a value altered by one bit', () => {
    const raw = Buffer.from(sealSession(session, secret), 'base64url');
    raw[raw.length - 1] ^= 1;
    expect(openSession(raw.toString('base64url'), secret)).toBeNull();
  });

  it('refuses an expired session', () => {
    const sealed = sealSession({ ...session, expiresAt: 1_000 }, secret);
    expect(openSession(sealed, secret, 2_000)).toBeNull();
  });

  it('refuses garbage and a missing cookie', () => {
    expect(openSession('not-a-session', secret)).toBeNull();
    expect(openSession(undefined, secret)).toBeNull();
  });
});
