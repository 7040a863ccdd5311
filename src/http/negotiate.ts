/**
 * Content negotiation (RFC 9110 §12.5.1) through `negotiator`, which honours q-values, specificity
 * and media-type parameters, and the request's own Content-Type.
 */
import Negotiator from 'negotiator';

/** Per list of produced types, the Content-Type values actually sent for them (with charset). */
const offered = new WeakMap<readonly string[], string[]>();

/**
 * The media type to answer with: the client's most preferred of `produces`, or the first one when
 * the request sends no Accept. Undefined when the client accepts none of them (406).
 *
 * Ranges are matched against the representations as sent (`application/json; charset=utf-8`), so
 * `Accept: application/json; charset=utf-8` matches and a charset other than UTF-8 does not.
 */
export function negotiateMediaType(accept: string | undefined, produces: readonly string[]): string | undefined {
  if (produces.length === 0) return undefined;
  if (accept === undefined || accept === '' || accept === '*/*') return produces[0];
  let values = offered.get(produces);
  if (!values) offered.set(produces, (values = produces.map(contentTypeValue)));
  const chosen = new Negotiator({ headers: { accept } }).mediaType(values);
  return chosen === undefined ? undefined : produces[values.indexOf(chosen)];
}

/** A header value without its parameters: what comes before the first `;`, trimmed. */
export function withoutParameters(value: string): string {
  const semicolon = value.indexOf(';');
  return (semicolon === -1 ? value : value.slice(0, semicolon)).trim();
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaTypeOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const type = withoutParameters(header).toLowerCase();
  return type === '' ? undefined : type;
}

/** The `charset` parameter of a Content-Type header, lower-cased (RFC 9110 §8.3.2). */
export function charsetOf(header: string): string | undefined {
  return /;\s*charset=("?)([^";]+)\1/i.exec(header)?.[2]?.toLowerCase();
}

const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json$/;

/** Whether a media type (parameters ignored) is JSON: application/json or application/*+json. */
export function isJsonType(type: string): boolean {
  return JSON_TYPE.test(withoutParameters(type));
}

/** Content-Type values by media type: a handful per document, computed once each. */
const contentTypeValues = new Map<string, string>();

/** A Content-Type value: textual types without a charset get `; charset=utf-8`. */
export function contentTypeValue(type: string): string {
  let value = contentTypeValues.get(type);
  if (value === undefined) {
    value = type.includes(';') || !(isJsonType(type) || type.startsWith('text/')) ? type : `${type}; charset=utf-8`;
    // Bounded: a document has a handful of types; a handler naming ever new ones is not cached.
    if (contentTypeValues.size < 64) contentTypeValues.set(type, value);
  }
  return value;
}
