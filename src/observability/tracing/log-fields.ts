/**
 * The trace of the request a log line was written in, on the line itself (OpenTelemetry's log
 * data model names them trace_id, span_id and trace_flags): a pino mixin, installed only when
 * tracing is on. An unsampled request has ids too: its lines still join the caller's trace.
 */
import { context, trace } from '@opentelemetry/api';

const NONE = {};

export function traceLogFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span) return NONE;
  const { traceId, spanId, traceFlags } = span.spanContext();
  return { trace_id: traceId, span_id: spanId, trace_flags: traceFlags.toString(16).padStart(2, '0') };
}
