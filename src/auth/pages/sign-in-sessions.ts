/**
 * The browser's sign-in session at /authorize: after the password, the browser holds
 * `__Host-specgate-signin` = `<sid>.<secret>`, and Redis holds the session (SessionStore kind
 * `browser`, in the user's session index) with the SHA-256 of the secret only. So a second client
 * in the same browser gets its code without the form, and everything that ends a user's sessions
 * (logout everywhere, DELETE /v1/users/{id}/sessions, disabling the user, a password change, the
 * cap) signs the browser out too. Checked against Redis on every use: nothing about it is valid
 * in process memory.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { setCookie } from '../../http/cookies';
import type { SessionStore } from '../sessions';
import type { Clock } from '../tokens';

export const SIGN_IN_COOKIE = '__Host-specgate-signin';

const COOKIE = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;

/** A live sign-in session. */
export interface SignedIn {
  sid: string;
  sub: string;
  /** When the user entered the password (seconds since the epoch). */
  authTime: number;
}

/** The secret's hash as Redis keeps it; tagged, so it can never equal a refresh token's hash. */
const hashSecret = (secret: string) => createHash('sha256').update(`signin:${secret}`).digest('hex');

export class SignInSessions {
  constructor(
    private readonly sessions: SessionStore,
    private readonly lifetimeSeconds: number,
    private readonly clock: Clock,
  ) {}

  /** Opens a sign-in session for `sub` (through `clientId`'s request); answers the `Set-Cookie` value. */
  async open(sub: string, clientId: string): Promise<{ sid: string; setCookie: string }> {
    const sid = randomUUID();
    const secret = randomBytes(32).toString('base64url');
    const now = this.clock();
    await this.sessions.createBrowser({
      sid,
      sub,
      clientId,
      secretHash: hashSecret(secret),
      now,
      absExp: now + this.lifetimeSeconds,
    });
    return { sid, setCookie: setCookie(SIGN_IN_COOKIE, `${sid}.${secret}`, this.lifetimeSeconds) };
  }

  /** The session the cookie names, while it lives and the secret matches; else undefined. */
  async current(cookie: string | undefined): Promise<SignedIn | undefined> {
    const m = cookie === undefined ? null : COOKIE.exec(cookie);
    if (!m?.[1] || !m[2]) return undefined;
    const found = await this.sessions.browser(m[1]);
    if (!found) return undefined;
    const expected = Buffer.from(found.secretHash, 'hex');
    const given = Buffer.from(hashSecret(m[2]), 'hex');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    return { sid: m[1], sub: found.sub, authTime: found.createdAt };
  }

  /** The `Set-Cookie` that removes the cookie (a session that ended, or a user who cannot sign in now). */
  static clear(): string {
    return setCookie(SIGN_IN_COOKIE, '', 0);
  }
}
