/**
 * The authorization request between the pages: GET /authorize checks it once, then it travels in
 * a hidden field of the login and consent forms, sealed, instead of living in Redis (no key per
 * page view, so nothing for a client to fill by loading pages). The seal is
 * `base64url(JSON) "." base64url(HMAC-SHA256)` with a key HKDF derives from the JWT secret for
 * this purpose alone (RFC 5869; one key per purpose, RFC 8725 §3.5), so every instance opens what
 * any instance sealed. It carries its expiry, and the client and redirect URI it was checked for:
 * a form cannot be replayed after ten minutes, nor edited to another redirect URI.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** What GET /authorize checked, as the forms carry it. */
export interface AuthorizationRequest {
  clientId: string;
  /** Exactly as sent, and registered (RFC 9700 §4.1.3); /token must see the same. */
  redirectUri: string;
  /** The scopes to grant: asked for (or all the client may have), held by the user when the code is issued. */
  scopes: string[];
  state: string | undefined;
  /** BASE64URL(SHA-256(code_verifier)) (RFC 7636 §4.2). */
  codeChallenge: string;
}

/** How long a sealed request stays valid: long enough to type a password, short enough to expire. */
export const SEALED_REQUEST_SECONDS = 600;

const KEY_INFO = 'specgate authorization request v1';
const BASE64URL = /^[A-Za-z0-9_-]+$/;

interface Sealed {
  c: string;
  r: string;
  s: string[];
  st?: string;
  cc: string;
  exp: number;
}

/** Seals and opens authorization requests. */
export class RequestSeal {
  private readonly key: Buffer;

  /** `secret`: the JWT secret (config.jwt.secret). */
  constructor(
    secret: Uint8Array,
    private readonly clock: () => number,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), KEY_INFO, 32));
  }

  seal(req: AuthorizationRequest): string {
    const value: Sealed = {
      c: req.clientId,
      r: req.redirectUri,
      s: req.scopes,
      ...(req.state === undefined ? {} : { st: req.state }),
      cc: req.codeChallenge,
      exp: this.clock() + SEALED_REQUEST_SECONDS,
    };
    const payload = Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
    return `${payload}.${this.tag(payload).toString('base64url')}`;
  }

  /** The request inside a seal this service made that has not expired; else undefined. */
  open(sealed: string): AuthorizationRequest | undefined {
    const dot = sealed.indexOf('.');
    if (dot < 1) return undefined;
    const payload = sealed.slice(0, dot);
    const tagText = sealed.slice(dot + 1);
    if (!BASE64URL.test(payload) || !BASE64URL.test(tagText)) return undefined;
    const presented = Buffer.from(tagText, 'base64url');
    if (presented.length !== 32 || presented.toString('base64url') !== tagText) return undefined;
    // Constant time: the answer's timing says nothing about how much of a forged tag was right.
    if (!timingSafeEqual(presented, this.tag(payload))) return undefined;
    let v: Sealed;
    try {
      v = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Sealed;
    } catch {
      return undefined;
    }
    if (typeof v.exp !== 'number' || v.exp <= this.clock()) return undefined;
    return {
      clientId: v.c,
      redirectUri: v.r,
      scopes: v.s,
      state: v.st,
      codeChallenge: v.cc,
    };
  }

  private tag(payload: string): Buffer {
    return createHmac('sha256', this.key).update(payload).digest();
  }
}
