/**
 * The two documented error shapes and how to tell them apart: RFC 9457 problem documents (every
 * operation but the OAuth endpoints) and RFC 6749 §5.2 error responses (/token, /revoke, /introspect).
 * Browser-safe: no Node-only APIs.
 */
import type { components } from '../../generated/openapi';

/** An RFC 9457 problem document; `code` is stable and meant for programs. */
export type Problem = components['schemas']['Problem'];

/** An RFC 6749 §5.2 error response of the OAuth endpoints. */
export type OAuthError = components['schemas']['OAuthError'];

/**
 * An RFC 6749 §4.1.2.1 error response: what the authorization endpoint sends back through the
 * redirect URI (query parameters, not a body of the document), e.g. `access_denied` when the user
 * declined consent.
 */
export interface AuthorizationError {
  error: string;
  error_description?: string;
}

const OAUTH_ERROR_CODES: ReadonlySet<string> = new Set<OAuthError['error']>([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
]);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether `value` is a {@link Problem} (has the required `type`, `title`, `status` and `code`). */
export function isProblem(value: unknown): value is Problem {
  return (
    isObject(value) &&
    typeof value.type === 'string' &&
    typeof value.title === 'string' &&
    typeof value.status === 'number' &&
    typeof value.code === 'string'
  );
}

/** Whether `value` is an {@link OAuthError} (an `error` code of RFC 6749 §5.2). */
export function isOAuthError(value: unknown): value is OAuthError {
  return (
    isObject(value) &&
    typeof value.error === 'string' &&
    OAUTH_ERROR_CODES.has(value.error) &&
    (value.error_description === undefined || typeof value.error_description === 'string')
  );
}

/**
 * Thrown by the SDK's own calls (`login`, `refresh`, `logout`) when the service answers with an
 * error. The typed request methods (`GET`, `POST`, …) never throw for an HTTP error: they return
 * `{ error, response }` instead.
 */
export class SpecgateError extends Error {
  override readonly name = 'SpecgateError';

  /**
   * @param status - The HTTP status of the answer; 0 for an {@link AuthorizationError}, which
   *   reaches the application through the redirect URI rather than as an answer to its request.
   * @param body - The parsed error body: an {@link OAuthError} from the token endpoint, a
   *   {@link Problem} from the others, an {@link AuthorizationError} from a sign-in callback, or
   *   `undefined` when the body was neither.
   */
  constructor(
    readonly status: number,
    readonly body: OAuthError | AuthorizationError | Problem | undefined,
    message?: string,
  ) {
    super(message ?? describe(status, body));
  }

  /** The machine-readable code: the OAuth `error` or the problem's `code`. */
  get code(): string | undefined {
    if (isProblem(this.body)) return this.body.code;
    if (this.body) return this.body.error;
    return undefined;
  }
}

/** Codes of the browser sign-in's own checks of a callback, before anything is sent to the service. */
export type SignInErrorCode =
  /** No sign-in started in this storage has the callback's `state` (CSRF, RFC 6749 §10.12), or it expired. */
  | 'state_mismatch'
  /** The callback's `iss` is not the issuer the request was sent to (mix-up attack, RFC 9207 §2.4). */
  | 'issuer_mismatch'
  /** The callback has no `iss` although the service's metadata says it sends one (RFC 9207 §2.4). */
  | 'issuer_missing'
  /** The callback has neither `code` nor `error`. */
  | 'invalid_callback'
  /** The service's metadata names no authorization endpoint: it does not offer the code flow. */
  | 'unsupported'
  /** No storage to keep the sign-in in until the callback (no sessionStorage here, and none given). */
  | 'no_storage';

/**
 * Thrown by the browser sign-in when a callback fails its checks, or the flow cannot start. The
 * `code` is stable and meant for programs; the message is for people.
 */
export class SignInError extends Error {
  override readonly name = 'SignInError';

  constructor(
    readonly code: SignInErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function describe(status: number, body: OAuthError | AuthorizationError | Problem | undefined): string {
  if (body && 'error' in body) {
    const text = `${body.error}${body.error_description ? `: ${body.error_description}` : ''}`;
    return status === 0 ? text : `${status} ${text}`;
  }
  if (isProblem(body)) return `${status} ${body.code}${body.detail ? `: ${body.detail}` : ''}`;
  return `HTTP ${status}`;
}

/** Narrows an openapi-fetch `error` (parsed JSON, or text when not JSON) to a documented shape. */
export function toErrorBody(error: unknown): OAuthError | Problem | undefined {
  return isOAuthError(error) || isProblem(error) ? error : undefined;
}
