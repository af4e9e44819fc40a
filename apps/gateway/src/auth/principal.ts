// Who is calling: the API key behind the request, or nobody for an open read.
import type { ApiKeyRole } from '@heartbeat/db';

export interface Principal {
  keyId: string;
  name: string;
  role: ApiKeyRole;
}

/** What an endpoint requires. `read` is open to anyone when PUBLIC_READS is on. */
export type AccessLevel = 'public' | 'read' | 'screening' | 'admin';

export const ROLE_GRANTS: Record<ApiKeyRole, readonly AccessLevel[]> = {
  screening: ['public', 'read', 'screening'],
  admin: ['public', 'read', 'screening', 'admin'],
};

export type RequestWithPrincipal = { principal?: Principal };
