// Spans and W3C trace context for our own steps (queue hand-offs, decoding, the model call, the
// database write). Only the OpenTelemetry API: without a started SDK (tracing off) every call here
// is a no-op. Span attributes are ids and sizes, never file names, audio or patient data.
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';

const tracer = () => trace.getTracer('heartbeat');

/** The W3C trace context (traceparent, tracestate) of the active span, to carry across a queue; undefined outside a trace. */
export function currentTraceContext(): Record<string, string> | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? carrier : undefined;
}

/** The context a carried trace context continues (the active one when there is none). */
export function contextFromCarrier(carrier: Record<string, string> | undefined): Context {
  return carrier ? propagation.extract(context.active(), carrier) : context.active();
}

export interface SpanOptions {
  attributes?: Attributes;
  kind?: 'internal' | 'producer' | 'consumer';
  /** Parent context; default the active one. */
  parent?: Context;
}

const KINDS = { internal: SpanKind.INTERNAL, producer: SpanKind.PRODUCER, consumer: SpanKind.CONSUMER };

/**
 * Runs `work` inside a new span (the active span while it runs, so logs and child spans join it),
 * ending it when the promise settles and marking it failed when it throws.
 */
export async function withSpan<T>(
  name: string,
  options: SpanOptions,
  work: (span: Span) => Promise<T> | T,
): Promise<T> {
  return tracer().startActiveSpan(
    name,
    { attributes: options.attributes, kind: KINDS[options.kind ?? 'internal'] },
    options.parent ?? context.active(),
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        // The error's name and code only: messages can quote the input (an object key, a header).
        const { name = 'Error', code } = (error ?? {}) as { name?: string; code?: unknown };
        span.recordException({ name, message: typeof code === 'string' ? code : name });
        span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === 'string' ? code : name });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** Sets attributes on the active span, if any (e.g. the prediction id once it is known). */
export function annotateActiveSpan(attributes: Attributes): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}
