/**
 * POST /token with grant_type=refresh_token: rotation, reuse detection, narrowing, lifetimes.
 */
import { decodeJwt } from 'jose';
import { client } from '../../support/contract';
import { startTestApp, type TestApp } from '../../support/app';

let t: TestApp;
let api: ReturnType<typeof client>;
let now = Math.floor(Date.now() / 1000);

beforeAll(async () => {
  t = await startTestApp({ clock: () => now });
  api = client(t.url);
  await t.createUser('kate', 'kate-password-1', ['items:read', 'items:write']);
});
afterAll(() => t.stop());

const login = async (scope?: string) =>
  (await api.post('/token', { form: { grant_type: 'password', username: 'kate', password: 'kate-password-1', ...(scope ? { scope } : {}) } })).body as { access_token: string; refresh_token: string };
const refresh = (refresh_token: string, extra: Record<string, string> = {}) => api.post('/token', { form: { grant_type: 'refresh_token', refresh_token, ...extra } });

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

  it('ends the whole session when a rotated token comes back (reuse detection)', async () => {
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

  it('lets only one of two concurrent uses of a token succeed', async () => {
    const { refresh_token } = await login();
    const results = await Promise.all(Array.from({ length: 8 }, () => refresh(refresh_token)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 400).every((r) => r.body.error === 'invalid_grant')).toBe(true);
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
    for (const token of ['nonsense', '00000000-0000-4000-8000-000000000000.' + 'B'.repeat(43), forged]) {
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
    const res = await api.post('/token', { form: { grant_type: 'password', username: 'leo', password: 'leo-password-1' } });
    await t.db.query('DELETE FROM users WHERE id = $1', [id]);
    expect((await refresh(res.body.refresh_token)).body.error).toBe('invalid_grant');
  });
});
