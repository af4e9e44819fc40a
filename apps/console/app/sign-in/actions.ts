'use server';
// Sign-in checks the key against the gateway (which also tells its role) before any cookie is set.
import { redirect } from 'next/navigation';
import { GatewayClient, GatewayError } from '@heartbeat/api-client';
import { consoleConfig } from '../../lib/config';
import { endSession, startSession } from '../../lib/server-session';

export interface SignInState {
  error: string | null;
}

export async function signIn(_previous: SignInState, form: FormData): Promise<SignInState> {
  const apiKey = String(form.get('apiKey') ?? '').trim();
  if (!apiKey)
    return {
      error:
        'Paste an API key. An admin creates one with: npm run api-key -- create --role screening --name <who>',
    };
  try {
    const { role, name } = await new GatewayClient({
      baseUrl: consoleConfig().gatewayUrl,
      apiKey,
    }).identify();
    await startSession(apiKey, role, name);
  } catch (error) {
    if (error instanceof GatewayError) {
      if (error.code === 'API_KEY_INVALID')
        return {
          error:
            'The gateway does not know this key, or it was revoked. Check it, or ask an admin for a new one.',
        };
      return { error: error.message };
    }
    throw error;
  }
  redirect('/');
}

export async function signOut(): Promise<void> {
  await endSession();
  redirect('/sign-in');
}
