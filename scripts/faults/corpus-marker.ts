/** Bytes the poison hook (poison-hook.ts) looks for: a recording carrying them kills its process. */
export const POISON_MARKER = 'HEARTBEAT-FAULT-SUITE-POISON';
