/**
 * Refresh tokens are opaque: `<session id>.<256 random bits, base64url>`. Only their SHA-256 is
 * stored; the session id in front lets the server find the one key to check without a lookup table.
 */
import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { UUID_TEXT } from '../core/uuid';

const REFRESH_FORMAT = new RegExp(`^(${UUID_TEXT})\\.([A-Za-z0-9_-]{43})$`);

/** HKDF `info` of the refresh-successor key: one key per purpose, never the JWT key itself (RFC 8725 §3.5). */
const SUCCESSOR_KEY_INFO = 'specgate refresh-token successor v1';

export function newRefreshToken(sid: string): { token: string; hash: string } {
  const token = `${sid}.${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The session id of a well-formed refresh token, or undefined. */
export function refreshTokenSession(token: string): string | undefined {
  return REFRESH_FORMAT.exec(token)?.[1];
}

/**
 * The refresh token that replaces a presented one at rotation: `<sid>.` + base64url(HMAC-SHA256(K,
 * presented)), K derived from the JWT secret with HKDF. Deterministic, so a retry of the same
 * token can be answered with the same successor without storing any token in plaintext; as
 * unguessable as a random one to anyone without K.
 */
export class RefreshSuccessors {
  private readonly key: Buffer;

  constructor(secret: Uint8Array) {
    this.key = Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), SUCCESSOR_KEY_INFO, 32));
  }

  /** The successor of `presented`, which must be well-formed. */
  of(presented: string): { token: string; hash: string } {
    const sid = refreshTokenSession(presented);
    if (!sid) throw new TypeError('not a refresh token');
    const token = `${sid}.${createHmac('sha256', this.key).update(presented).digest('base64url')}`;
    return { token, hash: hashRefreshToken(token) };
  }
}
