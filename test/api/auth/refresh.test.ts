/**
 * POST /token with grant_type=refresh_token: rotation, retries within the reuse leeway, reuse
 * detection, narrowing (asked for, and to the scopes the user still holds), lifetimes.
 */
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../../support/app';
import { client } from '../../support/contract';

let t: TestApp;
let api: ReturnType<typeof client>;
let now = Math.floor(Date.now() / 1000);

let kateId: string;

beforeAll(async () => {
  t = await startTestApp({ clock: () => now });
  api = client(t.url);
  kateId = await t.createUser('kate', 'kate-password-1', ['items:read', 'items:write']);
});
afterAll(() => t.stop());

const login = async (scope?: string) =>
  (
    await api.post('/token', {
      form: { grant_type: 'password', username: 'kate', password: 'kate-password-1', ...(scope ? { scope } : {}) },
    })
  ).body as { access_token: string; refresh_token: string };
const refresh = (refresh_token: string, extra: Record<string, string> = {}) =>
  api.post('/token', { form: { grant_type: 'refresh_token', refresh_token, ...extra } });

describe('refresh grant', () => {
  it('rotates: a new access token and a new refresh token in the same session', async () => {
    const first = await login();
    const res = await refresh(first.refresh_token);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.refresh_token).not.toBe(first.refresh_token);
    const a = decodeJwt(first.access_token);
    const b = decodeJwt(res.body.access_token);
    expect(b.sid).toBe(a.sid);
    expect(b.jti).not.toBe(a.jti);
    expect(res.body.scope).toBe('items:read items:write');
    // Both access tokens of the session stay valid until they expire.
    expect((await api.get('/me', { token: first.access_token })).status).toBe(200);
    expect((await api.get('/me', { token: res.body.access_token })).status).toBe(200);
  });

  it('ends the whole session when a token older than the previous one comes back, even within the leeway (reuse detection)', async () => {
    const first = await login();
    const second = (await refresh(first.refresh_token)).body;
    const third = (await refresh(second.refresh_token)).body;
    const reuse = await refresh(first.refresh_token);
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
    // The newest tokens of that session die at once.
    expect((await api.get('/me', { token: third.access_token })).status).toBe(401);
    expect((await refresh(third.refresh_token)).body.error).toBe('invalid_grant');
    expect(t.logs.join('')).toMatch(/refresh token reused: session ended/);
  });

  it('answers 5 parallel refreshes of one token alike: one successor, the session alive, and that successor refreshes again', async () => {
    const first = await login();
    const results = await Promise.all(Array.from({ length: 5 }, () => refresh(first.refresh_token)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const successors = new Set(results.map((r) => r.body.refresh_token));
    expect(successors.size).toBe(1);
    expect(successors.has(first.refresh_token)).toBe(false);
    // One access token too (the session stores one per rotation, not one per retry), valid in
    // whichever response the client keeps.
    expect(new Set(results.map((r) => decodeJwt(r.body.access_token).jti)).size).toBe(1);
    for (const r of results) expect((await api.get('/me', { token: r.body.access_token })).status).toBe(200);
    const next = await refresh(results[4]!.body.refresh_token);
    expect(next.status).toBe(200);
    expect((await api.get('/me', { token: next.body.access_token })).status).toBe(200);
  });

  it('answers a retry of the token just rotated, within the leeway, with the same successor; the session lives', async () => {
    const first = await login();
    const second = (await refresh(first.refresh_token)).body;
    now += t.config.jwt.refreshReuseLeewaySeconds - 1;
    const retry = await refresh(first.refresh_token);
    expect(retry.status).toBe(200);
    expect(retry.body.refresh_token).toBe(second.refresh_token);
    expect(decodeJwt(retry.body.access_token).jti).toBe(decodeJwt(second.access_token).jti);
    expect((await api.get('/me', { token: second.access_token })).status).toBe(200);
    expect((await api.get('/me', { token: retry.body.access_token })).status).toBe(200);
    expect((await refresh(second.refresh_token)).status).toBe(200);
    now = Math.floor(Date.now() / 1000);
  });

  it('ends the session when the token just rotated comes back after the leeway', async () => {
    const first = await login();
    const second = (await refresh(first.refresh_token)).body;
    now += t.config.jwt.refreshReuseLeewaySeconds;
    const replay = await refresh(first.refresh_token);
    expect([replay.status, replay.body.error]).toEqual([400, 'invalid_grant']);
    expect((await api.get('/me', { token: second.access_token })).status).toBe(401);
    expect((await refresh(second.refresh_token)).body.error).toBe('invalid_grant');
    now = Math.floor(Date.now() / 1000);
  });

  it('ends the session when the previous token comes back after its successor was used, even within the leeway', async () => {
    const first = await login();
    const second = (await refresh(first.refresh_token)).body;
    const third = (await refresh(second.refresh_token)).body;
    // `second` is now the previous token and `third` its successor, unused: a retry.
    expect((await refresh(second.refresh_token)).body.refresh_token).toBe(third.refresh_token);
    const fourth = (await refresh(third.refresh_token)).body;
    // `second`'s successor has been used: presenting `second` now is reuse.
    expect((await refresh(second.refresh_token)).body.error).toBe('invalid_grant');
    expect((await api.get('/me', { token: fourth.access_token })).status).toBe(401);
    expect((await refresh(fourth.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('treats any retry as reuse with REFRESH_REUSE_LEEWAY_SECONDS=0', async () => {
    const strict = await startTestApp({
      clock: () => now,
      env: { REFRESH_REUSE_LEEWAY_SECONDS: '0' },
      db: t.db,
      redisServer: t.redisServer,
    });
    try {
      const strictApi = client(strict.url);
      const first = (
        await strictApi.post('/token', {
          form: { grant_type: 'password', username: 'kate', password: 'kate-password-1' },
        })
      ).body;
      const second = (
        await strictApi.post('/token', { form: { grant_type: 'refresh_token', refresh_token: first.refresh_token } })
      ).body;
      const retry = await strictApi.post('/token', {
        form: { grant_type: 'refresh_token', refresh_token: first.refresh_token },
      });
      expect([retry.status, retry.body.error]).toEqual([400, 'invalid_grant']);
      expect((await strictApi.get('/me', { token: second.access_token })).status).toBe(401);
    } finally {
      await strict.stop();
    }
  });

  it('narrows the session to the scopes the user still holds, and it stays narrowed', async () => {
    const first = await login();
    await t.db.query('UPDATE users SET scopes = $2 WHERE id = $1', [kateId, ['items:read']]);
    try {
      const narrowed = await refresh(first.refresh_token);
      expect(narrowed.status).toBe(200);
      expect(narrowed.body.scope).toBe('items:read');
      expect(decodeJwt(narrowed.body.access_token).scope).toBe('items:read');
      // A scope the user lost cannot be asked for, and asking consumes nothing.
      const lost = await refresh(narrowed.body.refresh_token, { scope: 'items:write' });
      expect([lost.status, lost.body.error]).toEqual([400, 'invalid_scope']);
      // Given back in the database, the scope does not come back to this session.
      await t.db.query('UPDATE users SET scopes = $2 WHERE id = $1', [kateId, ['items:read', 'items:write']]);
      const later = await refresh(narrowed.body.refresh_token);
      expect(later.status).toBe(200);
      expect(later.body.scope).toBe('items:read');
    } finally {
      await t.db.query('UPDATE users SET scopes = $2 WHERE id = $1', [kateId, ['items:read', 'items:write']]);
    }
  });

  it('may narrow the scopes, never widen them', async () => {
    const { refresh_token } = await login('items:read');
    const wider = await refresh(refresh_token, { scope: 'items:read items:write' });
    expect(wider.status).toBe(400);
    expect(wider.body.error).toBe('invalid_scope');
    // A refused widening does not consume the token.
    const narrower = await refresh(refresh_token, { scope: 'items:read' });
    expect(narrower.status).toBe(200);
    const full = await login();
    const narrowed = await refresh(full.refresh_token, { scope: 'items:write' });
    expect(narrowed.body.scope).toBe('items:write');
    // The session keeps its scopes: the next refresh may take them all again.
    expect((await refresh(narrowed.body.refresh_token)).body.scope).toBe('items:read items:write');
  });

  it('refuses malformed, unknown and forged refresh tokens alike', async () => {
    const { refresh_token } = await login();
    const forged = `${refresh_token.split('.')[0]}.${'A'.repeat(43)}`;
    for (const token of ['nonsense', `00000000-0000-4000-8000-000000000000.${'B'.repeat(43)}`, forged]) {
      const res = await refresh(token);
      expect([res.status, res.body.error]).toEqual([400, 'invalid_grant']);
    }
    // A forged token for a live session is not a reuse: the session survives.
    expect((await refresh(refresh_token)).status).toBe(200);
  });

  it('extends the idle limit on each use, never past the absolute limit', async () => {
    const first = await login();
    const sid = decodeJwt(first.access_token).sid as string;
    const key = `auth:session:${sid}`;
    const absExp = Number(await t.redis.hget(key, 'abs_exp'));
    expect(absExp).toBe(now + t.config.jwt.refreshMaxSeconds);
    now += 3600;
    const second = (await refresh(first.refresh_token)).body;
    expect(await t.redis.expiretime(key)).toBe(now + t.config.jwt.refreshIdleSeconds);
    // Near the absolute limit the session (and the access token) end with it.
    now = absExp - 60;
    const late = await refresh(second.refresh_token);
    expect(late.status).toBe(200);
    expect(decodeJwt(late.body.access_token).exp).toBe(absExp);
    expect(await t.redis.expiretime(key)).toBe(absExp);
    now = absExp + 1;
    expect((await refresh(late.body.refresh_token)).body.error).toBe('invalid_grant');
    now = Math.floor(Date.now() / 1000);
  });

  it('refuses a refresh when the user no longer exists', async () => {
    const id = await t.createUser('leo', 'leo-password-1', []);
    const res = await api.post('/token', {
      form: { grant_type: 'password', username: 'leo', password: 'leo-password-1' },
    });
    await t.db.query('DELETE FROM users WHERE id = $1', [id]);
    expect((await refresh(res.body.refresh_token)).body.error).toBe('invalid_grant');
  });
});
