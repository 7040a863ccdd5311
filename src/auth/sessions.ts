/**
 * Sessions in Redis. A session is one login: it holds the current refresh token's hash, the recent
 * rotated hashes (for reuse detection, at most `reuseMemory` of them) and its live access tokens
 * (two slots: src/auth/session-access.ts), all in ONE hash key, `auth:session:{sid}`, of a fixed
 * number of fields. So:
 *  - an access token is valid only while a slot holds its jti (an allowlist: a Redis that lost
 *    data fails closed);
 *  - ending a session is one DEL: its refresh token and every access token end together, atomically,
 *    on every instance, from the next request on;
 *  - rotation is one Lua script over that one key (atomic, and valid on a Redis Cluster).
 * Nothing about validity is kept in process memory.
 */
import type { Redis } from 'ioredis';
import { ApiError, DependencyUnavailableError } from '../core/errors';
import { type BatchCommand, pipelineReplies, sendBatch, withScripts } from '../store/redis';
import { keys } from '../store/redis-keys';
import { ACCESS_FIELDS, accessLive, legacyAccessField, REVOKE_ACCESS } from './session-access';
import { SessionIndex } from './session-index';
import { narrowSessions } from './session-narrowing';
import type { Clock } from './tokens';

/** The session store is down: callers fail closed with 503 + Retry-After (core/errors.ts). */
const storeUnavailable = (cause: unknown) =>
  new DependencyUnavailableError('redis', { detail: 'The session store cannot be reached.', cause });

export interface SessionSettings {
  /** A session not refreshed for this long ends (REFRESH_TOKEN_IDLE_MINUTES). */
  idleSeconds: number;
  /** A session ends this long after login, refreshed or not (REFRESH_TOKEN_MAX_DAYS). */
  absoluteSeconds: number;
  /** How many rotated refresh-token hashes are kept to detect reuse. */
  reuseMemory?: number;
  /** How long the refresh token just rotated may come back as a retry (REFRESH_REUSE_LEEWAY_SECONDS; 0: never). */
  reuseLeewaySeconds?: number;
  /** Live sessions a user may hold (MAX_SESSIONS_PER_USER); a new login ends the oldest. */
  maxPerUser?: number;
}

/** Sessions ended or narrowed per pipelined round trip when acting on all of a user's sessions. */
const BATCH = 500;

/** A session as listed to its user. Times are seconds since the epoch. */
export interface SessionInfo {
  sid: string;
  sub: string;
  clientId: string;
  scope: string;
  createdAt: number;
  /** When the session ends unless refreshed (the key's expiry). */
  expiresAt: number;
  /** When the current refresh token was issued. */
  rotatedAt: number;
  /** SHA-256 (hex) of the current refresh token. */
  refreshHash: string;
}

/** The outcome of presenting a refresh token. `retry`: the previous token within the leeway. */
export type RotateResult =
  | {
      kind: 'ok';
      sub: string;
      clientId: string;
      scope: string;
      /** The access token to sign: the new jti, or on a retry the one the rotation already issued. */
      jti: string;
      accessExp: number;
      retry: boolean;
    }
  | { kind: 'reused'; sub: string }
  | { kind: 'invalid' }
  | { kind: 'invalid_scope' };

// KEYS[1] session. ARGV: 1 presented hash, 2 successor hash, 3 new jti, 4 now, 5 access exp,
// 6 idle seconds, 7 requested scope ('' = all), 8 reuse memory, 9 reuse leeway seconds, 10 the
// scopes the user holds now. The current token rotates to the successor. The token rotated last,
// within the leeway and while its successor is unused (rt is still that successor), is a client
// retry: same successor, and the same access token (`at`, the jti the rotation handed out) while
// it lives, so a retry adds nothing. Any other rotated token ends the session (RFC 9700 §4.14.2: a
// grace period covers only the immediately previous token); anything else is just invalid. The
// session's scope shrinks to what the user holds now, and stays shrunk. Every step reads or writes
// named fields (src/auth/session-access.ts): the cost is the same at the first rotation and the
// thousandth. Replies {'ok', sub, client_id, scope, access exp, retry, jti}.
const ROTATE = `
local k = KEYS[1]
local f = redis.call('HMGET', k, 'rt', 'used', 'sub', 'client_id', 'scope', 'abs_exp', 'prev', 'prev_until', 'at', 'at_exp')
if not f[1] then return {'invalid'} end
local presented, now = ARGV[1], tonumber(ARGV[4])
local used = f[2] or ''
local retry = f[1] ~= presented
if retry and not (f[7] == presented and now < tonumber(f[8] or '0') and f[1] == ARGV[2]) then
  if string.find(',' .. used .. ',', ',' .. presented .. ',', 1, true) then
    redis.call('DEL', k)
    return {'reused', f[3]}
  end
  return {'invalid'}
end
local abs = tonumber(f[6])
if now >= abs then
  redis.call('DEL', k)
  return {'invalid'}
end
local held, kept, has = {}, {}, {}
for s in string.gmatch(ARGV[10], '%S+') do held[s] = true end
for s in string.gmatch(f[5], '%S+') do
  if held[s] then
    kept[#kept + 1] = s
    has[s] = true
  end
end
local scope = table.concat(kept, ' ')
local granted = scope
if ARGV[7] ~= '' then
  for s in string.gmatch(ARGV[7], '%S+') do
    if not has[s] then return {'invalid_scope'} end
  end
  granted = ARGV[7]
end
local current_live = f[9] and tonumber(f[10] or '0') > now
local jti, access_exp = ARGV[3], math.min(tonumber(ARGV[5]), abs)
if retry and current_live then
  jti, access_exp = f[9], tonumber(f[10])
  redis.call('HSET', k, 'scope', scope)
elseif retry then
  -- The rotation's access token was revoked or has expired: the retry refills the slot.
  redis.call('HSET', k, 'scope', scope, 'at', jti, 'at_exp', access_exp)
else
  used = (used == '') and presented or (used .. ',' .. presented)
  local count = select(2, string.gsub(used, ',', ',')) + 1
  if count > tonumber(ARGV[8]) then used = string.sub(used, string.find(used, ',', 1, true) + 1) end
  redis.call('HSET', k, 'rt', ARGV[2], 'prev', presented, 'prev_until', now + tonumber(ARGV[9]), 'used', used,
    'rotated_at', now, 'scope', scope, 'at', jti, 'at_exp', access_exp)
  if current_live then
    redis.call('HSET', k, 'at_prev', f[9], 'at_prev_exp', f[10])
  else
    redis.call('HDEL', k, 'at_prev', 'at_prev_exp')
  end
end
redis.call('EXPIREAT', k, math.min(abs, now + tonumber(ARGV[6])))
return {'ok', f[3], f[4], granted, access_exp, retry and 1 or 0, jti}
`;

// KEYS[1] session. ARGV: presented hash. A current or recently rotated refresh token ends the session.
const REVOKE_REFRESH = `
local f = redis.call('HMGET', KEYS[1], 'rt', 'used')
if not f[1] then return 0 end
if f[1] == ARGV[1] or string.find(',' .. (f[2] or '') .. ',', ',' .. ARGV[1] .. ',', 1, true) then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

type Scripted = Redis & {
  sgRotate(key: string, ...argv: (string | number)[]): Promise<(string | number)[]>;
  sgRevokeRefresh(key: string, hash: string): Promise<number>;
  sgRevokeAccess(key: string, jti: string): Promise<number>;
};

const scripted = (redis: Redis) =>
  withScripts<Scripted>(redis, {
    sgRotate: { numberOfKeys: 1, lua: ROTATE },
    sgRevokeRefresh: { numberOfKeys: 1, lua: REVOKE_REFRESH },
    sgRevokeAccess: { numberOfKeys: 1, lua: REVOKE_ACCESS },
  });

export class SessionStore {
  private readonly redis: Scripted;
  private readonly reuseMemory: number;
  private readonly reuseLeewaySeconds: number;
  private readonly index: SessionIndex;
  private readonly maxPerUser: number;

  constructor(
    redis: Redis,
    private readonly settings: SessionSettings,
    private readonly clock: Clock,
  ) {
    this.redis = scripted(redis);
    this.reuseMemory = settings.reuseMemory ?? 64;
    this.reuseLeewaySeconds = settings.reuseLeewaySeconds ?? 30;
    this.index = new SessionIndex(redis);
    this.maxPerUser = settings.maxPerUser ?? 50;
  }

  /** When a session started now ends at the latest, and the expiry of its first access token. */
  limits(now: number, accessLifetime: number): { absExp: number; accessExp: number } {
    const absExp = now + this.settings.absoluteSeconds;
    return { absExp, accessExp: Math.min(now + accessLifetime, absExp) };
  }

  /**
   * Records a new session with its first access token and refresh token. Resolves to the ids of
   * the user's oldest sessions this ended to stay within the cap (usually none), so the caller
   * can log them: the store has no logger.
   */
  async create(s: {
    sid: string;
    sub: string;
    clientId: string;
    scope: string;
    jti: string;
    accessExp: number;
    /** Absent for a client's session (RFC 6749 §4.4.3: no refresh token): it ends with its access token. */
    refreshHash?: string;
    now: number;
    absExp: number;
    /** The DPoP key thumbprint the session's tokens are bound to (RFC 9449 §5). */
    jkt?: string;
    /** The browser sign-in session a code-flow login came from: logging out ends it too. */
    signInSid?: string;
  }): Promise<string[]> {
    const client = s.refreshHash === undefined;
    const expiry = client ? s.accessExp : Math.min(s.absExp, s.now + this.settings.idleSeconds);
    return this.record(s.sub, s.sid, s.absExp, expiry, {
      sub: s.sub,
      client_id: s.clientId,
      scope: s.scope,
      created_at: s.now,
      rotated_at: s.now,
      abs_exp: s.absExp,
      // A client's session has no refresh token: `rt` is empty, which no presented hash matches.
      rt: s.refreshHash ?? '',
      kind: client ? 'client' : 'user',
      used: '',
      at: s.jti,
      at_exp: s.accessExp,
      ...(s.jkt === undefined ? {} : { jkt: s.jkt }),
      ...(s.signInSid === undefined ? {} : { signin_sid: s.signInSid }),
    });
  }

  /**
   * Records a browser sign-in session (src/auth/pages/sign-in-sessions.ts): kind `browser`, in the
   * user's session index like every login (capped, listed, ended by endAll), with no token of its
   * own: `rt` is empty, so no refresh token matches it; `signin` holds the hash of the cookie's
   * secret. It ends at `absExp` (SIGN_IN_SESSION_HOURS). Resolves to the sessions the cap ended.
   */
  async createBrowser(s: {
    sid: string;
    sub: string;
    clientId: string;
    secretHash: string;
    now: number;
    absExp: number;
  }): Promise<string[]> {
    return this.record(s.sub, s.sid, s.absExp, s.absExp, {
      sub: s.sub,
      client_id: s.clientId,
      scope: '',
      created_at: s.now,
      rotated_at: s.now,
      abs_exp: s.absExp,
      rt: '',
      kind: 'browser',
      used: '',
      signin: s.secretHash,
    });
  }

  /** A live browser sign-in session: its user, the hash of its secret, and when it began; else null. */
  async browser(sid: string): Promise<{ sub: string; secretHash: string; createdAt: number } | null> {
    const [sub, kind, hash, createdAt] = await this.run(() =>
      this.redis.hmget(keys.session(sid), 'sub', 'kind', 'signin', 'created_at'),
    );
    if (!sub || kind !== 'browser' || !hash) return null;
    return { sub, secretHash: hash, createdAt: Number(createdAt) };
  }

  /**
   * Writes session `sid` of `sub` with `fields`, expiring at `expiry`, and adds it to the user's
   * index until `absExp`; resolves to the sessions the cap then ended. The session key is written
   * atomically (MULTI on one key); the index is another key, maybe on another cluster slot, so it
   * is written by its own script sent in the same tick.
   */
  private record(
    sub: string,
    sid: string,
    absExp: number,
    expiry: number,
    fields: Record<string, string | number>,
  ): Promise<string[]> {
    const key = keys.session(sid);
    return this.run(async () => {
      const [session, indexed] = await Promise.all([
        this.redis.multi().hset(key, fields).expireat(key, expiry).exec(),
        this.index.add(sub, sid, absExp),
      ]);
      pipelineReplies(session);
      return indexed > this.maxPerUser ? this.enforceCap(sub) : [];
    });
  }

  /**
   * Ends the oldest live sessions of `sub` beyond the cap (the newest is never among them). Only
   * reached when the index holds more entries than the cap: entries of sessions that expired on
   * their own are dropped first, so they never count against the user. Resolves to the sessions
   * it ended.
   */
  private async enforceCap(sub: string): Promise<string[]> {
    const sids = await this.index.members(sub);
    const replies = await sendBatch(
      this.redis,
      sids.map((sid) => ['exists', keys.session(sid)]),
    );
    const live = sids.filter((_, i) => replies[i] === 1);
    await this.index.remove(
      sub,
      sids.filter((_, i) => replies[i] === 0),
    );
    return this.endSessions(sub, live.slice(0, Math.max(0, live.length - this.maxPerUser)));
  }

  /**
   * The scopes access token `token` may use now: its `scope` claim narrowed to its session's
   * `scope` field (an administrator narrows that in place: src/auth/session-narrowing.ts), or null
   * when the token is not valid (ended session, revoked token, another user's session). One round
   * trip.
   */
  liveScopes(token: { sid: string; jti: string; sub: string; scope: string }): Promise<string[] | null> {
    return this.live(token).then((live) => live?.scopes ?? null);
  }

  /**
   * {@link liveScopes}, and who the session's subject is: a user, or an OAuth client (the client
   * credentials grant; sessions written before the field existed are users'). One round trip.
   */
  live(token: {
    sid: string;
    jti: string;
    sub: string;
    scope: string;
  }): Promise<{ scopes: string[]; kind: 'user' | 'client' } | null> {
    // One `then` on the reply (no async wrappers): this runs on every authenticated request.
    return this.redis
      .hmget(keys.session(token.sid), 'sub', 'scope', 'kind', ...ACCESS_FIELDS, legacyAccessField(token.jti))
      .then(([owner, scope, kind, ...access]) => {
        if (owner !== token.sub || !accessLive(access, token.jti, this.clock())) return null;
        const allowed = (scope ?? '').split(' ');
        const scopes = token.scope.split(' ').filter((s) => s && allowed.includes(s));
        return { scopes, kind: kind === 'client' ? 'client' : 'user' };
      }, toStoreError);
  }

  /** The user a live session belongs to, or null: lets a refresh look the user up before it commits. */
  async subject(sid: string): Promise<string | null> {
    return this.run(() => this.redis.hget(keys.session(sid), 'sub'));
  }

  /**
   * {@link subject}, the DPoP key the session is bound to (RFC 9449 §5) and the client it was
   * issued to (RFC 6749 §6), in one read.
   */
  async binding(sid: string): Promise<{ sub: string; jkt: string | undefined; clientId: string } | null> {
    const [sub, jkt, clientId] = await this.run(() => this.redis.hmget(keys.session(sid), 'sub', 'jkt', 'client_id'));
    return sub ? { sub, jkt: jkt ?? undefined, clientId: clientId ?? '' } : null;
  }

  /**
   * Exchanges a refresh token (by hash) for its successor (by hash, see
   * `TokenService.successorRefreshToken`) and a new access token `jti`, in one script over the
   * session's key. `heldScopes`: what the user holds now; the session's scope shrinks to it.
   */
  async rotate(
    sid: string,
    r: {
      presentedHash: string;
      successorHash: string;
      jti: string;
      accessExp: number;
      heldScopes: readonly string[];
      scope?: string;
      now?: number;
    },
  ): Promise<RotateResult> {
    const reply = await this.run(() =>
      this.redis.sgRotate(
        keys.session(sid),
        r.presentedHash,
        r.successorHash,
        r.jti,
        r.now ?? this.clock(),
        r.accessExp,
        this.settings.idleSeconds,
        r.scope ?? '',
        this.reuseMemory,
        this.reuseLeewaySeconds,
        r.heldScopes.join(' '),
      ),
    );
    const [kind, a = '', b = '', c = '', d, e, jti = ''] = reply.map(String);
    if (kind === 'ok') return { kind, sub: a, clientId: b, scope: c, jti, accessExp: Number(d), retry: e === '1' };
    if (kind === 'reused') return { kind, sub: a };
    return { kind: kind === 'invalid_scope' ? 'invalid_scope' : 'invalid' };
  }

  /** Ends a session if `hash` is its current or a recently rotated refresh token. */
  async revokeRefresh(sid: string, hash: string): Promise<boolean> {
    return (await this.run(() => this.redis.sgRevokeRefresh(keys.session(sid), hash))) === 1;
  }

  /** Ends one access token; its session and refresh token stay. */
  async revokeAccess(sid: string, jti: string): Promise<void> {
    await this.run(() => this.redis.sgRevokeAccess(keys.session(sid), jti));
  }

  /** A session, or null when it has ended. */
  async get(sid: string): Promise<SessionInfo | null> {
    const replies = (await this.run(() =>
      this.redis.pipeline().hgetall(keys.session(sid)).expiretime(keys.session(sid)).exec(),
    )) as [[Error | null, Record<string, string>], [Error | null, number]] | null;
    // exec() answers null only for a transaction that WATCH aborted, never for a plain pipeline.
    if (!replies) throw storeUnavailable(new Error('pipeline discarded'));
    const [[err, fields], [err2, expiresAt]] = replies;
    if (err || err2) throw storeUnavailable(err ?? err2);
    return toInfo(sid, fields, expiresAt);
  }

  /** Every live session of `sub`, newest first; index entries of ended sessions are dropped. */
  async list(sub: string): Promise<SessionInfo[]> {
    const sids = await this.run(() => this.index.members(sub));
    if (sids.length === 0) return [];
    const replies = await this.run(() =>
      sendBatch(
        this.redis,
        sids.flatMap((sid): BatchCommand[] => [
          ['hgetall', keys.session(sid)],
          ['expiretime', keys.session(sid)],
        ]),
      ),
    );
    const out: SessionInfo[] = [];
    const gone: string[] = [];
    sids.forEach((sid, i) => {
      const info = toInfo(sid, replies[2 * i] as Record<string, string>, replies[2 * i + 1] as number);
      if (info && info.sub === sub) out.push(info);
      else gone.push(sid);
    });
    if (gone.length) await this.run(() => this.index.remove(sub, gone));
    return out.sort((x, y) => y.createdAt - x.createdAt);
  }

  /** The browser sign-in session session `sid` was opened from (the code flow), if any. */
  async signInSession(sid: string): Promise<string | undefined> {
    return (await this.run(() => this.redis.hget(keys.session(sid), 'signin_sid'))) ?? undefined;
  }

  /** Ends one session of `sub`. Returns false when it is not one of theirs (or already ended). */
  async end(sid: string, sub: string): Promise<boolean> {
    const [owner] = await this.run(() => this.redis.hmget(keys.session(sid), 'sub'));
    if (owner !== sub) return false;
    await this.run(() => this.endSessions(sub, [sid]));
    return true;
  }

  /**
   * Ends every session of `sub`, except `keep` when given: one read of the index, then one
   * pipelined round trip per {@link BATCH} sessions. Resolves to how many index entries it ended.
   * Without `keep`, the consents the user gave clients go too (src/auth/pages/consents.ts): they
   * are revocable with the user's sessions.
   */
  async endAll(sub: string, keep?: string): Promise<number> {
    const doomed = (await this.run(() => this.index.members(sub))).filter((s) => s !== keep);
    // The consents go in the same round trip as the first batch of sessions.
    const consents: BatchCommand[] = keep === undefined ? [['del', keys.userConsents(sub)]] : [];
    await this.run(() => this.endSessions(sub, doomed, consents));
    return doomed.length;
  }

  /**
   * Narrows every session of `sub` to the scopes in `allowed` (the user's scopes after an admin
   * took some away). Resolves to how many sessions lost a scope.
   */
  async narrowAll(sub: string, allowed: readonly string[]): Promise<number> {
    return this.narrow(sub, await this.run(() => this.index.members(sub)), allowed);
  }

  /** Narrows sessions `sids` of `sub` to `allowed`; one pipelined round trip per batch. */
  async narrow(sub: string, sids: string[], allowed: readonly string[]): Promise<number> {
    let narrowed = 0;
    for (let i = 0; i < sids.length; i += BATCH) {
      narrowed += await this.run(() => narrowSessions(this.redis, sub, sids.slice(i, i + BATCH), allowed));
    }
    return narrowed;
  }

  /**
   * DELs sessions (each its own key: no multi-key command across slots) and their index entries,
   * with the commands of `alongside` in the first round trip.
   * Resolves to the sessions whose key this call deleted: of two logins capping the same user at
   * once, or a session expiring meanwhile, only the call whose DEL found the key reports it.
   */
  private async endSessions(sub: string, sids: string[], alongside: BatchCommand[] = []): Promise<string[]> {
    const ended: string[] = [];
    // `alongside` rides with the first batch; it is sent even when there is no session to end.
    for (let i = 0; i < sids.length || (i === 0 && alongside.length > 0); i += BATCH) {
      const batch = sids.slice(i, i + BATCH);
      const replies = await sendBatch(this.redis, [
        ...batch.map((sid): BatchCommand => ['del', keys.session(sid)]),
        ...(batch.length > 0
          ? ([
              ['zrem', keys.userSessionIndex(sub), ...batch],
              ['srem', keys.userSessions(sub), ...batch],
            ] as BatchCommand[])
          : []),
        ...(i === 0 ? alongside : []),
      ]);
      ended.push(...batch.filter((_, j) => replies[j] === 1));
    }
    return ended;
  }

  /** Maps any Redis failure to 503: callers fail closed. */
  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      toStoreError(err);
    }
  }
}

/** Rethrows a failed Redis command as the store being unavailable (503); an ApiError as it is. */
function toStoreError(err: unknown): never {
  if (err instanceof ApiError) throw err;
  throw storeUnavailable(err);
}

function toInfo(sid: string, f: Record<string, string> | undefined, expiresAt: number | undefined): SessionInfo | null {
  if (!f?.sub || (!f.rt && f.kind !== 'client' && f.kind !== 'browser')) return null;
  return {
    sid,
    sub: f.sub,
    clientId: f.client_id ?? '',
    scope: f.scope ?? '',
    createdAt: Number(f.created_at),
    expiresAt: Number(expiresAt),
    rotatedAt: Number(f.rotated_at),
    refreshHash: f.rt ?? '',
  };
}
