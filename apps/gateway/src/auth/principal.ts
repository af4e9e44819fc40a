// Who is calling: the API key behind the request, or nobody for an open read.
import type { ApiKeyRole } from '@heartbeat/db';

export interface Principal {
  keyId: string;
  name: string;
  role: ApiKeyRole;
}

/**
 * What an endpoint requires. `read` is open to anyone only when PUBLIC_READS is on; `recording` (the
 * audio itself) always needs a key, whatever PUBLIC_READS says.
 */
export type AccessLevel = 'public' | 'read' | 'recording' | 'screening' | 'admin';

export const ROLE_GRANTS: Record<ApiKeyRole, readonly AccessLevel[]> = {
  screening: ['public', 'read', 'recording', 'screening'],
  admin: ['public', 'read', 'recording', 'screening', 'admin'],
};

export type RequestWithPrincipal = { principal?: Principal };
