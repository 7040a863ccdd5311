/**
 * The `Prefer` request header (RFC 7240) as mock servers read it: Prism's convention, so clients
 * written against Prism work unchanged. `Prefer: code=404` asks for a documented status,
 * `Prefer: example=revoked` for a named example of the answer; both may be combined
 * (`Prefer: code=401, example=revoked`). The mock says what it honoured in `Preference-Applied`.
 */

import { withoutParameters } from '../http/negotiate';

/** The preferences a mock answer can follow. */
export interface MockPreferences {
  /** A status code of three digits (not yet checked against the operation). */
  code?: number;
  /** The name of an example (not yet checked against the answer). */
  example?: string;
}

/**
 * Reads `code` and `example` from a Prefer header; everything else in it is ignored. Values may
 * be quoted; parameters after `;` are dropped. A quoted value holding `,` or `;` is not
 * supported (no example name in the document needs one).
 */
export function parsePreferences(header: string | string[] | undefined): MockPreferences {
  const out: MockPreferences = {};
  // node joins repeated Prefer headers with ", ", which is also how one header lists several.
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  for (const preference of values.flatMap((v) => v.split(','))) {
    const token = withoutParameters(preference);
    const eq = token.indexOf('=');
    if (eq === -1) continue;
    const name = token.slice(0, eq).trim().toLowerCase();
    const value = token
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    // RFC 7240 §2: of a preference given more than once, only the first counts.
    if (name === 'code' && /^\d{3}$/.test(value)) out.code ??= Number(value);
    if (name === 'example' && value !== '') out.example ??= value;
  }
  return out;
}
