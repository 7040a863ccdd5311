/**
 * The store contract: what every module that sends Redis commands promises, run as it is against
 * one Redis topology of the file's own (a single node, a Cluster, a Sentinel group). The API suites
 * run once, on a single node; a topology changes how these commands travel (slots, redirections,
 * one primary behind sentinels), so what it can break is proved here, on all three. The modules:
 * auth/sessions.ts (users' and clients' sessions, rotation and reuse, revocation),
 * auth/session-index.ts (the index and the per-user cap), auth/session-narrowing.ts,
 * auth/login-throttle.ts, cache/redis-cache-store.ts (lookup, fill, lock, invalidate),
 * auth/dpop/replay-cache.ts (one-time proofs), auth/codes/authorization-codes.ts (single-use
 * codes) with auth/codes/code-issuance-limit.ts (their bound per sign-in session), auth/consents.ts (consents at /authorize) and store/redis.ts (connection, scripts, batches);
 * test/architecture/redis-commands.test.ts fails when another module sends a command.
 *
 * The last case kills the topology: every module then fails closed.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AuthorizationCodes } from '../../src/auth/codes/authorization-codes';
import { CodeIssuanceLimit } from '../../src/auth/codes/code-issuance-limit';
import { ConsentStore } from '../../src/auth/consents';
import { DpopReplayCache } from '../../src/auth/dpop/replay-cache';
import { LoginThrottle } from '../../src/auth/login-throttle';
import { SessionStore } from '../../src/auth/sessions';
import type { CacheEntry } from '../../src/cache/cache-store';
import { RedisCacheStore } from '../../src/cache/redis-cache-store';
import { loadConfig } from '../../src/core/config';
import { ApiError, DependencyUnavailableError } from '../../src/core/errors';
import { connectRedis, evictionPolicy, pingRedis, sendBatch } from '../../src/store/redis';
import { keys } from '../../src/store/redis-keys';
import { capturingLogger } from '../support/logs';
import { type RedisServer, startRedis } from '../support/redis-server';
import { keysAcrossCluster, startTopology, type TestTopology } from '../support/redis-topology';

const now = () => Math.floor(Date.now() / 1000);
const hash = () => randomUUID().replace(/-/g, '');

/** Registers the contract's cases for `topology` in the calling test file. */
export function storeContract(topology: TestTopology): void {
  let server: RedisServer;
  let redis: Redis;
  let sessions: SessionStore;

  beforeAll(async () => {
    server = topology === 'single' ? await startRedis({ password: 'contract-redis' }) : await startTopology(topology);
    const env =
      'env' in server
        ? (server.env as Record<string, string>)
        : { REDIS_URL: server.url, REDIS_PASSWORD: server.password! };
    redis = await connectRedis(loadConfig({ NODE_ENV: 'test', ...env }).redis, capturingLogger('warn', []));
    keysAcrossCluster(redis);
    sessions = new SessionStore(redis, { idleSeconds: 600, absoluteSeconds: 3600, maxPerUser: 3 }, now);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  /** Logs `sub` in: a session with one access token, as the password grant records it. */
  async function login(sub: string, scope = 'items:read items:write') {
    const s = { sid: randomUUID(), jti: randomUUID(), refreshHash: hash(), sub, scope };
    const t = now();
    const ended = await sessions.create({ ...s, clientId: 'contract', accessExp: t + 300, now: t, absExp: t + 3600 });
    return { ...s, ended };
  }
  const live = (s: { sid: string; jti: string; sub: string; scope: string }) => sessions.liveScopes(s);

  describe('sessions', () => {
    it('holds an access token while its session lives, and ends it alone on revocation', async () => {
      const s = await login('user-a');
      expect(await live(s)).toEqual(['items:read', 'items:write']);
      expect(await live({ ...s, sub: 'someone-else' })).toBeNull();
      expect((await sessions.get(s.sid))?.sub).toBe('user-a');
      expect(await sessions.subject(s.sid)).toBe('user-a');
      await sessions.revokeAccess(s.sid, s.jti);
      expect(await live(s)).toBeNull();
      expect(await sessions.get(s.sid)).not.toBeNull();
    });

    it('rotates a refresh token once, takes the previous one back as a retry, and ends the session on reuse', async () => {
      const s = await login('user-b');
      const next = hash();
      const rotate = (presented: string, successor: string, jti = randomUUID()) =>
        sessions.rotate(s.sid, {
          presentedHash: presented,
          successorHash: successor,
          jti,
          accessExp: now() + 300,
          heldScopes: ['items:read'],
        });
      expect(await rotate(s.refreshHash, next)).toMatchObject({ kind: 'ok', sub: 'user-b', scope: 'items:read' });
      expect(await rotate(s.refreshHash, next)).toMatchObject({ kind: 'ok', retry: true });
      expect(await rotate(next, hash())).toMatchObject({ kind: 'ok', retry: false });
      // `next` has a successor that was used: presenting it again is reuse, and ends the session.
      expect(await rotate(next, hash())).toEqual({ kind: 'reused', sub: 'user-b' });
      expect(await sessions.get(s.sid)).toBeNull();
      expect(await live(s)).toBeNull();
    });

    it('holds a constant number of fields through rotations and retries; a retry adds no access token', async () => {
      const s = await login('user-i');
      const rotate = (presented: string, successor: string) =>
        sessions.rotate(s.sid, {
          presentedHash: presented,
          successorHash: successor,
          jti: randomUUID(),
          accessExp: now() + 300,
          heldScopes: ['items:read'],
        });
      const access = (jti: string) => live({ ...s, jti });
      let [presented, jti, previousJti, size]: [string, string, string, number] = [s.refreshHash, s.jti, '', 0];
      for (let i = 0; i < 100; i++) {
        const successor = hash();
        const rotated = await rotate(presented, successor);
        if (rotated.kind !== 'ok') throw new Error(`rotation ${i}: ${rotated.kind}`);
        // Retries of the token just rotated get the jti the rotation issued, and store nothing.
        for (let r = 0; r < 3; r++) expect(await rotate(presented, successor)).toMatchObject({ jti: rotated.jti });
        size ||= await redis.hlen(keys.session(s.sid));
        expect(await redis.hlen(keys.session(s.sid))).toBe(size);
        // The token it replaced lives on until it expires; the one before that ended.
        expect(await access(jti)).toEqual(['items:read']);
        if (previousJti) expect(await access(previousJti)).toBeNull();
        [presented, previousJti, jti] = [successor, jti, rotated.jti];
      }
      // A retry after its rotation's access token was revoked fills the same slot again.
      const successor = hash();
      const rotated = await rotate(presented, successor);
      if (rotated.kind !== 'ok') throw new Error(rotated.kind);
      await sessions.revokeAccess(s.sid, rotated.jti);
      expect(await access(rotated.jti)).toBeNull();
      const refilled = await rotate(presented, successor);
      if (refilled.kind !== 'ok') throw new Error(refilled.kind);
      expect(refilled.jti).not.toBe(rotated.jti);
      expect(await access(refilled.jti)).toEqual(['items:read']);
      expect(await redis.hlen(keys.session(s.sid))).toBe(size);
    });

    it('honours the access tokens of a session written before the two-slot layout, and revokes them', async () => {
      const s = { sid: randomUUID(), jti: randomUUID(), sub: 'user-j', scope: 'items:read', refreshHash: hash() };
      const t = now();
      await redis.hset(keys.session(s.sid), {
        sub: s.sub,
        client_id: 'contract',
        scope: s.scope,
        created_at: t,
        rotated_at: t,
        abs_exp: t + 3600,
        rt: s.refreshHash,
        used: '',
        [`at:${s.jti}`]: t + 300,
      });
      await redis.expire(keys.session(s.sid), 600);
      expect(await live(s)).toEqual(['items:read']);
      const rotated = await sessions.rotate(s.sid, {
        presentedHash: s.refreshHash,
        successorHash: hash(),
        jti: randomUUID(),
        accessExp: t + 300,
        heldScopes: ['items:read'],
      });
      if (rotated.kind !== 'ok') throw new Error(rotated.kind);
      expect([await live(s), await live({ ...s, jti: rotated.jti })]).toEqual([['items:read'], ['items:read']]);
      await sessions.revokeAccess(s.sid, s.jti);
      expect([await live(s), await live({ ...s, jti: rotated.jti })]).toEqual([null, ['items:read']]);
    });

    it('ends a session by its refresh token, and every session of a user but one', async () => {
      const s = await login('user-c');
      expect(await sessions.revokeRefresh(s.sid, hash())).toBe(false);
      expect(await sessions.revokeRefresh(s.sid, s.refreshHash)).toBe(true);
      expect(await live(s)).toBeNull();
      const [keep, other] = [await login('user-c2'), await login('user-c2')];
      expect(await sessions.end(other.sid, 'not-the-owner')).toBe(false);
      expect(await sessions.endAll('user-c2', keep.sid)).toBe(1);
      expect(await live(other)).toBeNull();
      expect((await sessions.list('user-c2')).map((i) => i.sid)).toEqual([keep.sid]);
    });

    it("keeps a client's session (no refresh token) as long as its access token, bound, and ends it with the client's", async () => {
      const t = now();
      const s = { sid: randomUUID(), jti: randomUUID(), sub: 'client-a', scope: 'items:read' };
      await sessions.create({ ...s, clientId: s.sub, accessExp: t + 300, now: t, absExp: t + 3600, jkt: 'jkt-a' });
      expect(await sessions.live(s)).toEqual({ scopes: ['items:read'], kind: 'client' });
      expect(await sessions.binding(s.sid)).toEqual({ sub: 'client-a', jkt: 'jkt-a', clientId: 'client-a' });
      const ttl = await redis.ttl(keys.session(s.sid));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(300);
      expect(await sessions.revokeRefresh(s.sid, hash())).toBe(false);
      expect((await sessions.list('client-a')).map((i) => i.sid)).toEqual([s.sid]);
      expect(await sessions.endAll('client-a')).toBe(1);
      expect(await sessions.live(s)).toBeNull();
    });
  });

  describe('session index and cap', () => {
    it('ends the oldest sessions beyond the cap, never the newest', async () => {
      const made = [];
      for (let i = 0; i < 5; i++) made.push(await login('user-d'));
      const sids = made.map((m) => m.sid);
      expect(made.flatMap((m) => m.ended).sort()).toEqual(sids.slice(0, 2).sort());
      expect((await sessions.list('user-d')).map((i) => i.sid).sort()).toEqual(sids.slice(2).sort());
      expect(await live(made[0]!)).toBeNull();
      expect(await live(made[4]!)).not.toBeNull();
    });

    it('keeps concurrent logins within the cap', async () => {
      await Promise.all(Array.from({ length: 8 }, () => login('user-g')));
      const listed = await sessions.list('user-g');
      expect(listed.length).toBeGreaterThanOrEqual(1);
      expect(listed.length).toBeLessThanOrEqual(3);
    });

    it('reads sessions from the pre-upgrade index (a SET) too, and ends them with the rest', async () => {
      const [legacy, current] = [await login('user-h'), await login('user-h')];
      await redis.zrem(keys.userSessionIndex('user-h'), legacy.sid);
      await redis.sadd(keys.userSessions('user-h'), legacy.sid);
      expect((await sessions.list('user-h')).map((i) => i.sid).sort()).toEqual([legacy.sid, current.sid].sort());
      expect(await sessions.endAll('user-h')).toBe(2);
      expect([await live(legacy), await live(current)]).toEqual([null, null]);
    });

    it('drops the index entry of a session that ended on its own', async () => {
      const [gone, kept] = [await login('user-e'), await login('user-e')];
      await redis.del(keys.session(gone.sid));
      expect((await sessions.list('user-e')).map((i) => i.sid)).toEqual([kept.sid]);
      expect(await redis.zrange(keys.userSessionIndex('user-e'), '0', '-1')).toEqual([kept.sid]);
    });
  });

  describe('narrowing', () => {
    it('takes a scope away from every session of a user, in place', async () => {
      const [a, b] = [await login('user-f'), await login('user-f', 'items:write')];
      expect(await sessions.narrowAll('user-f', ['items:read'])).toBe(2);
      expect(await live(a)).toEqual(['items:read']);
      expect(await live(b)).toEqual([]);
      // A login that read the user before the change is narrowed by the sweep of its own session.
      const late = await login('user-f');
      expect(await sessions.narrow('user-f', [late.sid], [])).toBe(1);
      expect(await live(late)).toEqual([]);
    });
  });

  describe('login limits', () => {
    const limits = {
      maxFailuresPerUserAndIp: 5,
      maxFailuresPerIp: 50,
      windowSeconds: 900,
      maxFailuresPerUser: 8,
      userWindowSeconds: 3600,
      knownAddressSeconds: 3600,
    };

    it('reserves exactly the limit under concurrency and refuses the rest with 429', async () => {
      const throttle = new LoginThrottle(redis, limits);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, () => throttle.reserve('Burst-User', '198.51.100.20')),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(5);
      for (const o of outcomes.filter((o) => o.status === 'rejected')) {
        expect((o as PromiseRejectedResult).reason).toBeInstanceOf(ApiError);
        expect(((o as PromiseRejectedResult).reason as ApiError).code).toBe('too_many_requests');
      }
    });

    it('gives back what an unfinished attempt reserved, and exempts a known address from the ceiling', async () => {
      const throttle = new LoginThrottle(redis, limits);
      for (let i = 0; i < 10; i++) await (await throttle.reserve('refund-user', '198.51.100.21')).released();
      await (await throttle.reserve('refund-user', '198.51.100.22')).succeeded();
      // Eight failures from other addresses reach the ceiling of the username...
      for (let i = 0; i < 8; i++) await throttle.reserve('refund-user', `203.0.113.${i + 1}`);
      await expect(throttle.reserve('refund-user', '203.0.113.99')).rejects.toBeInstanceOf(ApiError);
      // ...which the address that logged in before is exempt from.
      await expect(throttle.reserve('refund-user', '198.51.100.22')).resolves.toBeDefined();
    });
  });

  describe('response cache', () => {
    const entry = (g: string[]): CacheEntry => ({
      g,
      status: 200,
      headers: { etag: '"1"' },
      body: '{"id":"x"}',
      contentType: 'application/json',
    });

    it('stores and finds an entry with its tag generations, and retires it when a tag is bumped', async () => {
      const cache = new RedisCacheStore(redis, 2000);
      const key = keys.cacheEntry('getItem', randomUUID());
      const tags = [`item:${randomUUID()}`, `items:${randomUUID()}`];
      expect(await cache.lookup(key, tags)).toEqual({ gens: ['0', '0'], entry: undefined });
      await cache.set(key, entry(['0', '0']), 60);
      expect(await cache.lookup(key, tags)).toEqual({ gens: ['0', '0'], entry: entry(['0', '0']) });
      await cache.invalidate(tags);
      expect((await cache.lookup(key, tags)).gens).toEqual(['1', '1']);
    });

    it('hands the fill lock to one holder, which alone can free it', async () => {
      const cache = new RedisCacheStore(redis, 2000);
      const key = keys.cacheEntry('getItem', randomUUID());
      expect(await cache.lock(key, 'first', 5000)).toBe(true);
      expect(await cache.lock(key, 'second', 5000)).toBe(false);
      await cache.unlock(key, 'second');
      expect(await cache.lock(key, 'third', 5000)).toBe(false);
      await cache.unlock(key, 'first');
      expect(await cache.lock(key, 'third', 5000)).toBe(true);
    });
  });

  describe('connection', () => {
    it('answers the readiness ping, and reads the eviction policy it warns about', async () => {
      await expect(pingRedis(redis)).resolves.toBeUndefined();
      expect(await evictionPolicy(redis)).toBe('noeviction');
    });

    it('sends a batch over keys of many slots and answers in order', async () => {
      const ids = Array.from({ length: 12 }, () => randomUUID());
      await sendBatch(
        redis,
        ids.map((id, i) => ['set', `contract:${id}`, String(i)]),
      );
      expect(
        await sendBatch(
          redis,
          ids.map((id) => ['get', `contract:${id}`]),
        ),
      ).toEqual(ids.map((_, i) => String(i)));
    });
  });

  describe('DPoP replay cache', () => {
    it('records a proof once and refuses its jti again, per key, with a TTL on every key', async () => {
      const cache = new DpopReplayCache(redis, 65);
      const [jktA, jktB] = [hash().slice(0, 43), hash().slice(0, 43)];
      await cache.use(jktA, 'proof-1');
      await expect(cache.use(jktA, 'proof-1')).rejects.toMatchObject({ code: 'invalid_dpop_proof' });
      await expect(cache.use(jktB, 'proof-1')).resolves.toBeUndefined();
      const written = keys.dpopProof(jktA, createHash('sha256').update('proof-1').digest('base64url'));
      expect(await redis.ttl(written)).toBeGreaterThan(0);
    });
  });

  describe('authorization codes', () => {
    it('finds a code, redeems it once, reports the first session on reuse, with a TTL on the key', async () => {
      const codes = new AuthorizationCodes(redis, now);
      const grant = {
        clientId: 'c',
        redirectUri: 'https://app.example/cb',
        sub: 'user-c',
        scopes: ['items:read'],
        codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        authTime: now(),
        signInSid: 'browser-1',
      };
      const code = await codes.issue(grant);
      expect(await codes.find(code)).toEqual(grant);
      expect(await codes.find(`${code}x`)).toBeNull();
      const [a, b] = [randomUUID(), randomUUID()];
      const answers = await Promise.all([codes.redeem(code, a), codes.redeem(code, b)]);
      const first = answers[0].kind === 'redeemed' ? a : b;
      expect(answers.map((r) => r.kind).sort()).toEqual(['redeemed', 'reused']);
      expect(answers.find((r) => r.kind === 'reused')).toEqual({ kind: 'reused', sid: first, sub: 'user-c' });
      expect(await codes.redeemedStill(code, first)).toBe(false);
      const ttl = await redis.pttl(keys.authorizationCode(createHash('sha256').update(code).digest('hex')));
      expect(ttl).toBeGreaterThan(60_000);
      expect(ttl).toBeLessThanOrEqual(600_000);
    });

    it('reserves at most the limit of codes per sign-in session under concurrency, with a TTL on the counter', async () => {
      const codes = new AuthorizationCodes(redis, now, { maxPerSignIn: 3 });
      const [sid, other] = [randomUUID(), randomUUID()];
      const reserved = await Promise.all(Array.from({ length: 5 }, () => codes.reserve(sid)));
      expect(reserved.filter(Boolean)).toHaveLength(3);
      expect(await codes.reserve(sid)).toBe(false);
      expect(await redis.get(keys.codesIssued(sid))).toBe('3');
      const ttl = await redis.pttl(keys.codesIssued(sid));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(61_000);
      expect(await codes.reserve(other)).toBe(true);
    });
  });

  describe('browser sign-in sessions and consents', () => {
    it('indexes a sign-in session like a login, reads it back, and endAll ends it and drops the consents', async () => {
      const t = now();
      const sid = randomUUID();
      await sessions.createBrowser({ sid, sub: 'user-b', clientId: 'c', secretHash: hash(), now: t, absExp: t + 600 });
      expect(await sessions.browser(sid)).toEqual({ sub: 'user-b', secretHash: expect.any(String), createdAt: t });
      expect((await sessions.list('user-b')).map((s) => s.sid)).toEqual([sid]);
      const consents = new ConsentStore(redis);
      await consents.remember('user-b', 'c', ['items:write', 'items:read']);
      expect(await consents.given('user-b', 'c', ['items:read', 'items:write'])).toBe(true);
      expect(await redis.ttl(keys.userConsents('user-b'))).toBeGreaterThan(0);
      await sessions.endAll('user-b');
      expect(await sessions.browser(sid)).toBeNull();
      expect(await consents.given('user-b', 'c', ['items:read', 'items:write'])).toBe(false);
    });
  });

  describe('when Redis is gone', () => {
    it('fails closed: sessions and login limits answer 503, the cache fails, nothing is served', async () => {
      const s = await login('user-z');
      await server.kill();
      const unavailable = expect.any(DependencyUnavailableError);
      await expect(live(s)).rejects.toEqual(unavailable);
      await expect(
        sessions.create({ ...s, clientId: 'x', accessExp: 1, now: now(), absExp: now() + 60 }),
      ).rejects.toEqual(unavailable);
      await expect(new LoginThrottle(redis).reserve('user-z', '192.0.2.1')).rejects.toEqual(unavailable);
      await expect(
        new RedisCacheStore(redis, 500).lookup(keys.cacheEntry('getItem', 'x'), ['t']),
      ).rejects.toBeDefined();
      await expect(new DpopReplayCache(redis, 65).use('k', 'j')).rejects.toEqual(unavailable);
      await expect(new AuthorizationCodes(redis, now).find('code')).rejects.toEqual(unavailable);
      await expect(new CodeIssuanceLimit(redis, 60).reserve('browser-z')).rejects.toEqual(unavailable);
      await expect(new ConsentStore(redis).given('user-z', 'c', [])).rejects.toEqual(unavailable);
      await expect(sessions.browser(s.sid)).rejects.toEqual(unavailable);
      await expect(pingRedis(redis)).rejects.toBeDefined();
    });
  });
}
