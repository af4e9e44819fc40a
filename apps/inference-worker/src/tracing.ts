// Imported first by main.ts: starts tracing (when OTEL_* variables ask for it) before the modules
// the instrumentations patch (http, pg, ioredis) are loaded.
import { startTracing } from '@heartbeat/telemetry/tracing';

export const tracing = startTracing('inference-worker');
