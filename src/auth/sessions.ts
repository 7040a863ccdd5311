/**
 * Sessions in Redis: an access token is valid only while `auth:session:{jti}` exists (an allowlist:
 * if Redis loses data, tokens stop working rather than revoked ones starting to work). Every
 * instance asks Redis on every request; nothing about validity is kept in process memory.
 */
import type { Redis } from 'ioredis';
import { ApiError } from '../core/errors';
import { keys } from '../redis-client';
import type { AccessClaims } from './tokens';

/** What is stored per session. */
export interface SessionRecord {
  sub: string;
  client_id: string;
  scope: string;
  iat: number;
  exp: number;
}

/** Seconds a client is asked to wait when the session store is unreachable. */
export const RETRY_AFTER_SECONDS = 5;

export class SessionStore {
  constructor(private readonly redis: Redis) {}

  /** Records the session of a freshly issued token; it expires with the token (EXAT exp). */
  async create(claims: AccessClaims): Promise<void> {
    const record: SessionRecord = { sub: claims.sub, client_id: claims.client_id, scope: claims.scope, iat: claims.iat, exp: claims.exp };
    await this.run(async () => {
      // A pipeline, not MULTI: the two keys may live on different cluster slots.
      const results = await this.redis
        .pipeline()
        .set(keys.session(claims.jti), JSON.stringify(record), 'EXAT', claims.exp)
        .sadd(keys.userSessions(claims.sub), claims.jti)
        .expireat(keys.userSessions(claims.sub), claims.exp, 'GT')
        .expireat(keys.userSessions(claims.sub), claims.exp, 'NX')
        .exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    });
  }

  /** The session of `jti`, or null when it ended or never existed. */
  async get(jti: string): Promise<SessionRecord | null> {
    const raw = await this.run(() => this.redis.get(keys.session(jti)));
    return raw === null ? null : (JSON.parse(raw) as SessionRecord);
  }

  /** Ends one session. Idempotent. */
  async end(jti: string, sub: string): Promise<void> {
    await this.run(() => this.redis.pipeline().del(keys.session(jti)).srem(keys.userSessions(sub), jti).exec());
  }

  /** Maps any Redis failure to 503: callers fail closed. */
  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new ApiError('unavailable', { detail: 'The session store cannot be reached.', retryAfterSeconds: RETRY_AFTER_SECONDS, cause: err });
    }
  }
}
