// Structured JSON logs (one object per line on stdout) so the platform's log collector can index
// them by service, level and fields instead of parsing free text. A line written inside a traced
// request or job carries that trace's trace_id and span_id, so logs and traces join up.
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger as PinoLogger, type LevelWithSilent } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = LevelWithSilent;

export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  /** Extra fields on every line (worker id, version...). */
  base?: Record<string, unknown>;
  /** Where lines go; default stdout. Tests pass a stream to read them back. */
  destination?: DestinationStream;
}

/** The active span's ids, in the field names of OpenTelemetry's log data model; empty outside a span. */
export function activeTraceFields(): { trace_id?: string; span_id?: string; trace_flags?: string } {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: `0${spanContext.traceFlags.toString(16)}`.slice(-2),
  };
}

export function createLogger({ service, level = 'info', base = {}, destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: { service, pid: process.pid, ...base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: activeTraceFields,
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * A service that cannot start says why on one fatal JSON line and exits with status 1. A string is
 * a message for the operator (a ConfigError's names the variable to fix); an Error keeps its stack.
 */
export function exitOnStartupFailure(
  service: string,
  reason: unknown,
  destination?: DestinationStream,
): never {
  // Synchronous, so the line is written before the process exits.
  const logger = createLogger({
    service,
    destination: destination ?? pino.destination({ dest: 1, sync: true }),
  });
  if (reason instanceof Error) logger.fatal({ err: reason }, `${service} could not start: ${reason.message}`);
  else logger.fatal(`${service} could not start: ${String(reason)}`);
  process.exit(1);
}

/** A logger that drops everything, for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
