'use server';
// Admin actions on model versions; the gateway checks the role again and writes the audit entry.
import { revalidatePath } from 'next/cache';
import { GatewayError } from '@heartbeat/api-client';
import { gatewayFor, requireSession } from '../../lib/server-session';

export interface ActionOutcome {
  ok: boolean;
  message: string;
}

async function run(action: (gateway: ReturnType<typeof gatewayFor>) => Promise<string>): Promise<ActionOutcome> {
  const session = await requireSession();
  try {
    const message = await action(gatewayFor(session));
    revalidatePath('/models');
    return { ok: true, message };
  } catch (error) {
    if (error instanceof GatewayError) return { ok: false, message: `${error.message} (${error.code})` };
    throw error;
  }
}

export async function promoteVersion(version: string, reason: string): Promise<ActionOutcome> {
  return run(async (gateway) => {
    const outcome = await gateway.promote(version, reason || undefined);
    return outcome.changed
      ? `${outcome.promoted.version} now serves (was ${outcome.previousVersion ?? 'none'}). Audit: "${outcome.promoted.statusReason ?? reason}". Workers switch within seconds.`
      : `${outcome.promoted.version} was already serving; nothing changed.`;
  });
}

export async function rollBack(reason: string): Promise<ActionOutcome> {
  return run(async (gateway) => {
    const outcome = await gateway.rollback(reason || undefined);
    return `Rolled back: ${outcome.promoted.version} serves again (was ${outcome.previousVersion ?? 'none'}). Audit: "${outcome.promoted.statusReason ?? reason}".`;
  });
}

export async function retireVersion(version: string, reason: string): Promise<ActionOutcome> {
  return run(async (gateway) => {
    const retired = await gateway.retire(version, reason || undefined);
    return `${retired.version} is retired. Audit: "${retired.statusReason ?? reason}".`;
  });
}
