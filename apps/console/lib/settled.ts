// Loads several independent things for a page at once; each one fails on its own, with its message.
import { GatewayError } from '@heartbeat/api-client';

export type Loaded<T> = { ok: true; value: T } | { ok: false; error: string; code: string };

export async function load<T>(promise: Promise<T>): Promise<Loaded<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    if (error instanceof GatewayError) return { ok: false, error: error.message, code: error.code };
    return { ok: false, error: (error as Error).message, code: 'ERROR' };
  }
}
