// API key secrets: shown once, stored only as a sha256 hash with a short prefix to tell them apart.
import { createHash, randomBytes } from 'node:crypto';

export const API_KEY_PREFIX = 'hb_';

export function generateApiKeySecret(): string {
  return `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The first characters of the secret, stored so people can tell their keys apart. */
export function displayPrefix(secret: string): string {
  return secret.slice(0, API_KEY_PREFIX.length + 6);
}
