/**
 * Authorization codes in Redis (RFC 6749 §4.1.2): one hash per code, `auth:code:{<SHA-256 of the
 * code>}`, holding the {@link CodeGrant}. The code itself is never stored, so a read of Redis
 * yields nothing to redeem. A code lives {@link CodeSettings.ttlSeconds} (60 s); redeeming it marks
 * it with the id of the session about to be opened and keeps it {@link CodeSettings.reuseSeconds}
 * longer, so that a second presentation finds that session and ends it (§4.1.2, RFC 9700 §4.2.4:
 * a code used twice was stolen, and the tokens issued from it must go).
 *
 * Redemption and the reuse mark are each one script on the code's one key: atomic, and valid on a
 * Redis Cluster. The session lives on another key, so ending it is the caller's (the grant's) step,
 * and so is the re-check that closes the race of a reuse arriving before the first exchange's
 * session exists (see {@link AuthorizationCodes.redeemedStill}).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ApiError, DependencyUnavailableError } from '../../core/errors';
import { withScripts } from '../../store/redis';
import { keys } from '../../store/redis-keys';
import type { Clock } from '../tokens';
import type { CodeGrant, CodeIssuer } from './code-grant';
import { CodeIssuanceLimit } from './code-issuance-limit';

/** How long codes live and are remembered. */
export interface CodeSettings {
  /** How long an unredeemed code can be exchanged (60 s; RFC 6749 §4.1.2 recommends at most 10 minutes). */
  ttlSeconds?: number;
  /** How long a redeemed code is kept to recognise a second presentation (default 10 minutes). */
  reuseSeconds?: number;
  /** The most unredeemed codes one browser sign-in session holds (default 30, see ./code-issuance-limit.ts). */
  maxPerSignIn?: number;
}

/** What presenting a code found. */
export type Redemption =
  /** The first presentation: the code is this request's, and `sid` is recorded as its session. */
  | { kind: 'redeemed' }
  /** Presented before: `sid` is the session the first presentation opened (or is opening). */
  | { kind: 'reused'; sid: string; sub: string }
  /** Unknown, expired, or forgotten. */
  | { kind: 'invalid' };

/** A challenge as /authorize accepts it: BASE64URL(SHA-256(verifier)), 43 characters (RFC 7636 §4.2). */
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

// KEYS[1] code. ARGV: 1 session id, 2 milliseconds to keep a redeemed code. The first call marks
// the code with the session id and answers its fields; any later call marks it reused and answers
// the session id it was redeemed for, so the caller ends that session.
const REDEEM = `
local f = redis.call('HMGET', KEYS[1], 'sub', 'redeemed_sid')
if not f[1] then return {'invalid'} end
if f[2] then
  redis.call('HSET', KEYS[1], 'reused', '1')
  return {'reused', f[2], f[1]}
end
redis.call('HSET', KEYS[1], 'redeemed_sid', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {'redeemed'}
`;

type Scripted = Redis & { sgRedeemCode(key: string, sid: string, keepMs: number): Promise<string[]> };

/** Issues and redeems authorization codes. */
export class AuthorizationCodes implements CodeIssuer {
  private readonly redis: Scripted;
  /** How long an unredeemed code can be exchanged, in seconds. */
  readonly ttlSeconds: number;
  private readonly reuseSeconds: number;
  private readonly limit: CodeIssuanceLimit;

  constructor(
    redis: Redis,
    private readonly clock: Clock,
    settings: CodeSettings = {},
  ) {
    this.redis = withScripts<Scripted>(redis, { sgRedeemCode: { numberOfKeys: 1, lua: REDEEM } });
    this.ttlSeconds = settings.ttlSeconds ?? 60;
    this.reuseSeconds = Math.max(settings.reuseSeconds ?? 600, this.ttlSeconds);
    this.limit = new CodeIssuanceLimit(redis, this.ttlSeconds, settings.maxPerSignIn);
  }

  /**
   * Reserves one code for a browser sign-in session: false when it holds its limit
   * (./code-issuance-limit.ts). The sign-in flow, the only way a client has codes issued, asks
   * before every {@link issue}.
   */
  reserve(signInSid: string): Promise<boolean> {
    return this.limit.reserve(signInSid);
  }

  /** Stores `grant` and answers its code: 32 random bytes, base64url (256 bits). */
  async issue(grant: CodeGrant): Promise<string> {
    if (!CHALLENGE.test(grant.codeChallenge)) throw new TypeError('codeChallenge must be an S256 challenge');
    const code = randomBytes(32).toString('base64url');
    const key = keys.authorizationCode(hashCode(code));
    const replies = await this.run(() =>
      this.redis
        .multi()
        .hset(key, {
          client_id: grant.clientId,
          redirect_uri: grant.redirectUri,
          sub: grant.sub,
          scope: grant.scopes.join(' '),
          challenge: grant.codeChallenge,
          auth_time: grant.authTime,
          // The app's clock decides expiry (Redis's TTL only bounds the key): one clock for every check.
          exp: this.clock() + this.ttlSeconds,
          ...(grant.signInSid === undefined ? {} : { signin_sid: grant.signInSid }),
        })
        .pexpire(key, this.ttlSeconds * 1000)
        .exec(),
    );
    if (replies?.some(([err]) => err)) throw storeUnavailable(replies.find(([err]) => err)?.[0]);
    return code;
  }

  /**
   * The grant a code stands for, without redeeming it, or null when the code is unknown or
   * expired: the token request is checked against it (client, redirect URI, verifier) before the
   * code is spent, so a presentation that fails those checks ends nothing.
   */
  async find(code: string): Promise<CodeGrant | null> {
    const f = await this.run(() => this.redis.hgetall(keys.authorizationCode(hashCode(code))));
    if (!f.sub || !f.client_id || !f.redirect_uri || !f.challenge) return null;
    // A redeemed code is still found (it is kept to detect reuse); redeem() tells the two apart.
    if (f.redeemed_sid === undefined && this.clock() >= Number(f.exp)) return null;
    return {
      clientId: f.client_id,
      redirectUri: f.redirect_uri,
      sub: f.sub,
      scopes: (f.scope ?? '').split(' ').filter(Boolean),
      codeChallenge: f.challenge,
      authTime: Number(f.auth_time),
      ...(f.signin_sid === undefined ? {} : { signInSid: f.signin_sid }),
    };
  }

  /**
   * Spends the code for the session `sid` about to be opened. Atomic: of any number of
   * presentations, exactly one is `redeemed`.
   */
  async redeem(code: string, sid: string): Promise<Redemption> {
    const [kind, a = '', b = ''] = await this.run(() =>
      this.redis.sgRedeemCode(keys.authorizationCode(hashCode(code)), sid, this.reuseSeconds * 1000),
    );
    if (kind === 'redeemed') return { kind };
    if (kind === 'reused') return { kind, sid: a, sub: b };
    return { kind: 'invalid' };
  }

  /**
   * Whether the code redeemed for `sid` has not been presented again since. The grant asks after
   * its session exists: a reuse that came before then could not end the session yet, so the
   * grant ends it itself when this is false (the order argument of src/auth/login-confirmation.ts:
   * the reuse mark is written before the reusing request tries to end the session).
   */
  async redeemedStill(code: string, sid: string): Promise<boolean> {
    const [redeemed, reused] = await this.run(() =>
      this.redis.hmget(keys.authorizationCode(hashCode(code)), 'redeemed_sid', 'reused'),
    );
    // The record gone (reuseSeconds passed, or Redis lost it) cannot prove a reuse: keep the session.
    return redeemed === null || (redeemed === sid && reused === null);
  }

  /** Maps any Redis failure to 503: callers fail closed. */
  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw storeUnavailable(err);
    }
  }
}

/** SHA-256 (hex) of a code: the key it is stored under. */
export function hashCode(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}

const storeUnavailable = (cause: unknown) =>
  new DependencyUnavailableError('redis', { detail: 'The authorization code store cannot be reached.', cause });
