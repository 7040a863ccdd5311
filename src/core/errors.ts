/**
 * The closed set of errors specgate answers with, and the one mapping from an error to an HTTP
 * response: RFC 9457 problem+json everywhere, RFC 6749 §5.2 error JSON on OAuth endpoints.
 * Anything that is not an {@link ApiError} becomes a 500 that reveals nothing but the request id.
 */

/** Where a validation violation was found. */
export interface Violation {
  in: 'path' | 'query' | 'header' | 'body';
  pointer: string;
  message: string;
}

interface CatalogueEntry {
  status: number;
  title: string;
  /** The RFC 6749 §5.2 `error` value used when the operation answers in OAuth format. */
  oauth: OAuthErrorCode;
}

/** Every problem code, its status and title. Tests keep this in step with the document. */
export const PROBLEMS = {
  validation_failed: { status: 400, title: 'Request validation failed', oauth: 'invalid_request' },
  malformed_body: { status: 400, title: 'Malformed request body', oauth: 'invalid_request' },
  unauthorized: { status: 401, title: 'Authentication required', oauth: 'invalid_request' },
  invalid_token: { status: 401, title: 'Invalid access token', oauth: 'invalid_request' },
  insufficient_scope: { status: 403, title: 'Insufficient scope', oauth: 'invalid_scope' },
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
  | 'temporarily_unavailable';

const OAUTH_STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  server_error: 500,
  temporarily_unavailable: 503,
};

/** Optional members of an {@link ApiError}. */
export interface ApiErrorOptions {
  detail?: string;
  errors?: Violation[];
  allow?: string[];
  /** insufficient_scope: the scopes that would have been enough (RFC 6750 §3). */
  scope?: string;
  retryAfterSeconds?: number;
  /** Further response headers (lower-case names), e.g. the RateLimit fields of a 429. */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** An error with a stable code from {@link PROBLEMS}. `detail` must never carry secrets. */
export class ApiError extends Error {
  readonly status: number;
  constructor(readonly code: ProblemCode, readonly options: ApiErrorOptions = {}) {
    super(options.detail ?? PROBLEMS[code].title, { cause: options.cause });
    this.name = 'ApiError';
    this.status = PROBLEMS[code].status;
  }
}

/** Seconds a client is asked to wait (`Retry-After`) when a dependency cannot be reached. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

/**
 * The one rule for outages: a dependency (database, Redis, cache) that cannot be reached is a 503
 * `unavailable` with `Retry-After` (RFC 9110 §15.6.4, §10.2.3), never a 500.
 */
export function dependencyUnavailable(detail: string, cause?: unknown): ApiError {
  return new ApiError('unavailable', { detail, retryAfterSeconds: DEPENDENCY_RETRY_AFTER_SECONDS, cause });
}

/** An RFC 6749 §5.2 error raised by an OAuth endpoint itself (e.g. invalid_grant). */
export class OAuthError extends Error {
  readonly status: number;
  constructor(readonly error: OAuthErrorCode, readonly description?: string) {
    super(description ?? error);
    this.name = 'OAuthError';
    this.status = OAUTH_STATUS[error];
  }
}

/** How an operation reports errors: from its `x-error-format` in the document. */
export type ErrorFormat = 'problem' | 'oauth';

/** A fully rendered error response. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const REALM = 'specgate';
const PROBLEM_BASE = 'https://specgate.dev/problems/';

/** The `WWW-Authenticate` challenge for a 401/403 (RFC 6750 §3). */
function bearerChallenge(err: ApiError): string | undefined {
  switch (err.code) {
    case 'unauthorized':
      return `Bearer realm="${REALM}"`;
    case 'invalid_token':
      return `Bearer realm="${REALM}", error="invalid_token", error_description="${quoteSafe(err.message)}"`;
    case 'insufficient_scope':
      return `Bearer realm="${REALM}", error="insufficient_scope", scope="${quoteSafe(err.options.scope ?? '')}"`;
    default:
      return undefined;
  }
}

function quoteSafe(s: string): string {
  return s.replace(/["\\]/g, '');
}

/**
 * Maps any thrown value to the response the client gets. Unknown errors become 500 with only the
 * request id; the caller logs the original.
 */
export function renderError(err: unknown, ctx: { format: ErrorFormat; instance: string; requestId: string }): ErrorResponse {
  const headers: Record<string, string> = {};
  if (err instanceof OAuthError) {
    return oauthResponse(err.status, err.error, err.description, headers);
  }
  const apiErr = toApiError(err);
  if (apiErr.options.retryAfterSeconds !== undefined) headers['retry-after'] = String(apiErr.options.retryAfterSeconds);
  if (apiErr.options.headers) Object.assign(headers, apiErr.options.headers);
  if (apiErr.options.allow) headers.allow = apiErr.options.allow.join(', ');
  const challenge = bearerChallenge(apiErr);
  if (challenge) headers['www-authenticate'] = challenge;
  // RFC 6749 §5.1: every answer of an OAuth endpoint, its problem-document 401/403/405 included,
  // must not be stored.
  if (ctx.format === 'oauth') Object.assign(headers, OAUTH_NO_STORE);

  if (ctx.format === 'oauth' && apiErr.status !== 401 && apiErr.status !== 403 && apiErr.status !== 405) {
    const entry = PROBLEMS[apiErr.code];
    const description =
      apiErr.code === 'internal'
        ? `An unexpected error occurred (request id ${ctx.requestId}).`
        : describeForOAuth(apiErr);
    return oauthResponse(entry.status, entry.oauth, description, headers);
  }

  const body: Record<string, unknown> = {
    type: PROBLEM_BASE + apiErr.code.replace(/_/g, '-'),
    title: PROBLEMS[apiErr.code].title,
    status: apiErr.status,
    code: apiErr.code,
  };
  if (apiErr.code !== 'internal' && apiErr.options.detail) body.detail = apiErr.options.detail;
  body.instance = ctx.instance;
  body.request_id = ctx.requestId;
  if (apiErr.options.errors) body.errors = apiErr.options.errors;
  if (apiErr.options.allow) body.allow = apiErr.options.allow;
  headers['content-type'] = 'application/problem+json';
  return { status: apiErr.status, headers, body: JSON.stringify(body) };
}

/** Errors the store layer raises for an unreachable dependency carry a stable code: a 503, not a 500. */
function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if ((err as { code?: unknown } | null)?.code === 'database_unavailable') {
    return dependencyUnavailable('The database cannot be reached.', err);
  }
  return new ApiError('internal', { cause: err });
}

/** Whether `err` is a dependency outage (logged as a warning, not as a bug). */
export function isUnavailable(err: unknown): boolean {
  return toApiError(err).code === 'unavailable';
}

function describeForOAuth(err: ApiError): string {
  if (err.options.errors && err.options.errors.length > 0) {
    return err.options.errors.map((v) => `${v.pointer.slice(1) || v.in}: ${v.message}`).join('; ');
  }
  return err.message;
}

/** RFC 6749 §5.1/§5.2: token endpoint responses, errors included, must not be cached. */
export const OAUTH_NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

function oauthResponse(status: number, error: OAuthErrorCode, description: string | undefined, headers: Record<string, string>): ErrorResponse {
  Object.assign(headers, OAUTH_NO_STORE);
  headers['content-type'] = 'application/json';
  const body: Record<string, string> = { error };
  if (description) body.error_description = description;
  return { status, headers, body: JSON.stringify(body) };
}

/** A 400 `validation_failed` listing every violation (each with where and a JSON pointer). */
export function validationFailed(...violations: Violation[]): ApiError {
  return new ApiError('validation_failed', {
    detail: `The request has ${violations.length} violation${violations.length === 1 ? '' : 's'}.`,
    errors: violations,
  });
}
