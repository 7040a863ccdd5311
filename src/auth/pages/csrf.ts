/**
 * CSRF protection of the sign-in forms (RFC 9700 §4.4.1.8; OWASP CSRF cheat sheet, "signed double
 * submit cookie"): the browser holds a random value in the `__Host-specgate-csrf` cookie
 * (`SameSite=Lax`, host-only, Secure, HttpOnly), and each form carries an HMAC of it, keyed by a
 * key HKDF derives from the JWT secret for this purpose alone. A page of another origin can
 * neither read the cookie nor compute the HMAC, and the `__Host-` prefix stops a sibling
 * subdomain from planting a cookie of its choosing (RFC 6265bis §4.1.3.2).
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { setCookie } from '../../http/cookies';

export const CSRF_COOKIE = '__Host-specgate-csrf';

const KEY_INFO = 'specgate csrf v1';
const VALUE = /^[A-Za-z0-9_-]{43}$/;

export class CsrfGuard {
  private readonly key: Buffer;

  /** `secret`: the JWT secret (config.jwt.secret). */
  constructor(secret: Uint8Array) {
    this.key = Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), KEY_INFO, 32));
  }

  /**
   * The browser's cookie value when it is one of ours, else a new one with the `Set-Cookie` that
   * gives it to the browser (for the browser session: it goes when the browser closes).
   */
  cookieFor(presented: string | undefined): { value: string; setCookie?: string } {
    if (presented !== undefined && VALUE.test(presented)) return { value: presented };
    const value = randomBytes(32).toString('base64url');
    return { value, setCookie: setCookie(CSRF_COOKIE, value) };
  }

  /** The form token for cookie value `value`. */
  token(value: string): string {
    return createHmac('sha256', this.key).update(value).digest('base64url');
  }

  /** Whether `token` is the form token of cookie value `cookie`; false when either is missing. */
  verify(cookie: string | undefined, token: string | undefined): boolean {
    if (cookie === undefined || token === undefined || !VALUE.test(cookie)) return false;
    const expected = Buffer.from(this.token(cookie));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
