/**
 * INTERNAL spans for the work inside a request that is worth seeing on its own: an argon2
 * verification (tens of milliseconds on the thread pool) and a response cache fill under its lock.
 * Modules that have such work take an InSpan (src/core/in-span.ts) and know nothing of OpenTelemetry.
 */
import { context, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import type { InSpan } from '../../core/in-span';
import { endFailed } from './error-type';

/** Runs `work` as the span `name`, the active span while it runs; outside a request, just runs it. */
export function internalSpans(tracer: Tracer): InSpan {
  return (name, work) => {
    const parent = context.active();
    if (!trace.getSpan(parent)?.isRecording()) return work();
    const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL }, parent);
    return context.with(trace.setSpan(parent, span), work).then(
      (result) => {
        span.end();
        return result;
      },
      (err: unknown) => {
        endFailed(span, err);
        throw err;
      },
    );
  };
}
