import { type Attributes, type Span, SpanStatusCode } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';

/**
 * `error.type` (semantic conventions, https://opentelemetry.io/docs/specs/semconv/attributes-registry/error/):
 * a low-cardinality name for what went wrong, never its message. specgate's own errors give their
 * stable code (`unavailable`, `dependency_unavailable`); a programming error its class name.
 */
export function errorType(err: unknown): string | undefined {
  if (err === undefined || err === null) return undefined;
  if (typeof err === 'object') {
    const { code } = err as { code?: unknown };
    if (typeof code === 'string' && /^[\w.-]{1,64}$/.test(code)) return code;
    const name = (err as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string' && name) return name;
  }
  return '_OTHER';
}

/** Ends `span` as failed by `err`: its `error.type`, any `attributes` more, and an error status. */
export function endFailed(span: Span, err: unknown, attributes: Attributes = {}): void {
  span.setAttributes({ [ATTR_ERROR_TYPE]: errorType(err) ?? '_OTHER', ...attributes });
  span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}
