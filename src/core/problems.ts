/**
 * The catalogue of problem codes (status, title, OAuth equivalent) and where each code is
 * documented: the problem `type` URI. Data only; the error classes and the mapping from an error
 * to a response are in ./errors.ts, which re-exports everything here.
 */

/** Where a validation violation was found. */
export interface Violation {
  in: 'path' | 'query' | 'header' | 'cookie' | 'body';
  pointer: string;
  message: string;
}

interface CatalogueEntry {
  status: number;
  title: string;
  /** The RFC 6749 §5.2 `error` value used when the operation answers in OAuth format. */
  oauth: OAuthErrorCode;
}

/**
 * Every problem code, its status and title. Tests keep this in step with the document, where each
 * code has its own section under Errors in info.description.
 */
export const PROBLEMS = {
  validation_failed: { status: 400, title: 'Request validation failed', oauth: 'invalid_request' },
  malformed_body: { status: 400, title: 'Malformed request body', oauth: 'invalid_request' },
  unauthorized: { status: 401, title: 'Authentication required', oauth: 'invalid_request' },
  invalid_token: { status: 401, title: 'Invalid access token', oauth: 'invalid_request' },
  invalid_dpop_proof: { status: 401, title: 'Invalid DPoP proof', oauth: 'invalid_dpop_proof' },
  use_dpop_nonce: { status: 401, title: 'DPoP nonce required', oauth: 'use_dpop_nonce' },
  insufficient_scope: { status: 403, title: 'Insufficient scope', oauth: 'invalid_scope' },
  user_required: { status: 403, title: "A user's token is required", oauth: 'invalid_request' },
  not_found: { status: 404, title: 'Not found', oauth: 'invalid_request' },
  method_not_allowed: { status: 405, title: 'Method not allowed', oauth: 'invalid_request' },
  not_acceptable: { status: 406, title: 'Not acceptable', oauth: 'invalid_request' },
  conflict: { status: 409, title: 'Conflict', oauth: 'invalid_request' },
  precondition_failed: { status: 412, title: 'Precondition failed', oauth: 'invalid_request' },
  payload_too_large: { status: 413, title: 'Payload too large', oauth: 'invalid_request' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type', oauth: 'invalid_request' },
  too_many_requests: { status: 429, title: 'Too many requests', oauth: 'invalid_request' },
  unavailable: { status: 503, title: 'Service unavailable', oauth: 'temporarily_unavailable' },
  internal: { status: 500, title: 'Internal server error', oauth: 'server_error' },
} as const satisfies Record<string, CatalogueEntry>;

export type ProblemCode = keyof typeof PROBLEMS;

/** RFC 6749 §5.2 error codes (plus §4.1.2.1's server_error / temporarily_unavailable). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'server_error'
  | 'temporarily_unavailable'
  /** RFC 9449 §5, §8: a DPoP proof at the token endpoint. */
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce';

export const OAUTH_STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  server_error: 500,
  temporarily_unavailable: 503,
  invalid_dpop_proof: 400,
  use_dpop_nonce: 400,
};

/**
 * The anchor Redoc gives the section of a code: a level-2 heading `## <code>` under the level-1
 * heading `# Errors` of info.description becomes `section/Errors/<code>` (Redoc 2's
 * MarkdownRenderer: `<parent id>/<slugify(heading)>`; slugify keeps letters, digits and `_`).
 */
export const ERRORS_SECTION_ANCHOR = 'section/Errors/';

/**
 * The default prefix of problem `type` URIs: the Errors section of the reference this service
 * serves at /docs. A relative reference, resolved against the request URL (RFC 9457 §3.1.1, RFC
 * 3986 §5); it carries the full path, as RFC 9457 recommends for relative type URIs, so every
 * response of one origin resolves it to the same URI. PROBLEM_TYPE_BASE overrides it.
 */
export const DEFAULT_PROBLEM_TYPE_BASE = `/docs#${ERRORS_SECTION_ANCHOR}`;

/** The `type` URI of a problem: `<base><code>`, e.g. `/docs#section/Errors/validation_failed`. */
export function problemType(code: ProblemCode, base: string = DEFAULT_PROBLEM_TYPE_BASE): string {
  return base + code;
}

/**
 * Why `base` cannot prefix problem `type` URIs, or undefined if it can: it must be an absolute
 * http(s) URL or a reference starting with a single `/` (a relative path such as `docs#...` would
 * resolve differently under every request path: RFC 9457 §3.1.1), with no character a URI cannot
 * hold.
 */
export function problemTypeBaseProblem(base: string): string | undefined {
  const advice = 'an absolute http(s) URL or a path starting with /, e.g. https://api.example.com/docs#section/Errors/';
  if (!/^[\x21-\x7e]+$/.test(base) || /["<>\\^`{|}]/.test(base)) return `must be ${advice} (no spaces or quotes)`;
  if (base.startsWith('/'))
    return base.startsWith('//') ? `must be ${advice}, not a network-path reference` : undefined;
  try {
    const url = new URL(base);
    if (url.protocol === 'https:' || url.protocol === 'http:') return undefined;
  } catch {
    // not absolute: falls through
  }
  return `must be ${advice}`;
}
