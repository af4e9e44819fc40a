'use server';
// Creating and revoking API keys (admin; the gateway checks the role again).
import { revalidatePath } from 'next/cache';
import { GatewayError } from '@heartbeat/api-client';
import { gatewayFor, requireSession } from '../../lib/server-session';

export interface KeyActionState {
  ok: boolean | null;
  message: string;
  /** Shown once, right after creation. */
  secret?: string;
}

async function attempt(
  work: (gateway: ReturnType<typeof gatewayFor>) => Promise<KeyActionState>,
): Promise<KeyActionState> {
  const session = await requireSession('admin');
  try {
    const state = await work(gatewayFor(session));
    revalidatePath('/keys');
    return state;
  } catch (error) {
    if (error instanceof GatewayError) return { ok: false, message: `${error.message} (${error.code})` };
    throw error;
  }
}

export async function createKey(_state: KeyActionState, form: FormData): Promise<KeyActionState> {
  const name = String(form.get('name') ?? '').trim();
  const role = form.get('role') === 'admin' ? 'admin' : 'screening';
  if (!name)
    return { ok: false, message: 'Give the key a name saying who or what uses it, e.g. "ward-3 tablet".' };
  return attempt(async (gateway) => {
    const created = await gateway.createApiKey(name, role);
    return {
      ok: true,
      message: `Key "${created.apiKey.name}" (${created.apiKey.role}) created. Copy it now: it is not shown again.`,
      secret: created.secret,
    };
  });
}

export async function revokeKey(id: string): Promise<KeyActionState> {
  return attempt(async (gateway) => {
    const revoked = await gateway.revokeApiKey(id);
    return { ok: true, message: `Key "${revoked.name}" is revoked; requests with it now get 401.` };
  });
}
