/**
 * POST /logout (logout): ends the session of the presented token, at once.
 */

import { startTestApp, type TestApp } from '../../support/app';
import { challengeOf, noCredentialsChallenge } from '../../support/challenges';
import { client } from '../../support/contract';

let t: TestApp;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  t = await startTestApp();
  api = client(t.url);
  await t.createUser('carol', 'carol-password-1', ['items:read']);
});
afterAll(() => t.stop());

describe('logout', () => {
  it('ends the session: 204, then the same token gets 401 invalid_token', async () => {
    const token = await api.login('carol', 'carol-password-1');
    expect((await api.get('/me', { token })).status).toBe(200);
    const res = await api.post('/logout', { token });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    const after = await api.get('/me', { token });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('invalid_token');
    expect(after.headers['www-authenticate']).toMatch(/^Bearer realm="specgate", error="invalid_token"/);
  });

  it("leaves the user's other sessions alone", async () => {
    const first = await api.login('carol', 'carol-password-1');
    const second = await api.login('carol', 'carol-password-1');
    await api.post('/logout', { token: first });
    expect((await api.get('/me', { token: second })).status).toBe(200);
    expect((await api.get('/me', { token: first })).status).toBe(401);
  });

  it('cannot be called twice with one token', async () => {
    const token = await api.login('carol', 'carol-password-1');
    expect((await api.post('/logout', { token })).status).toBe(204);
    expect((await api.post('/logout', { token })).status).toBe(401);
  });

  it('needs a token', async () => {
    const res = await api.post('/logout');
    expect(res.status).toBe(401);
    expect(challengeOf(res.headers['www-authenticate'], 'Bearer')).toEqual(noCredentialsChallenge(t.config.publicUrl));
  });

  it("removes the session key and its entry in the user's session index", async () => {
    const token = await api.login('carol', 'carol-password-1');
    const { sub, sid } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
      sub: string;
      sid: string;
    };
    expect(await t.redis.zscore(`auth:user:${sub}:session-index`, sid)).not.toBeNull();
    await api.post('/logout', { token });
    expect(await t.redis.exists(`auth:session:${sid}`)).toBe(0);
    expect(await t.redis.zscore(`auth:user:${sub}:session-index`, sid)).toBeNull();
  });

  it('ends the refresh token of the session too', async () => {
    const res = await api.post('/token', {
      form: { grant_type: 'password', username: 'carol', password: 'carol-password-1' },
    });
    await api.post('/logout', { token: res.body.access_token });
    const refresh = await api.post('/token', {
      form: { grant_type: 'refresh_token', refresh_token: res.body.refresh_token },
    });
    expect(refresh.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');
  });

  it('ends every session of the user with all_sessions, and only theirs', async () => {
    await t.createUser('carol2', 'carol2-password-1', []);
    const a = await api.login('carol', 'carol-password-1');
    const b = await api.login('carol', 'carol-password-1');
    const other = await api.login('carol2', 'carol2-password-1');
    expect((await api.post('/logout', { token: a, json: { all_sessions: true } })).status).toBe(204);
    expect((await api.get('/me', { token: a })).status).toBe(401);
    expect((await api.get('/me', { token: b })).status).toBe(401);
    expect((await api.get('/me', { token: other })).status).toBe(200);
  });

  it('rejects an unknown member in the logout body', async () => {
    const token = await api.login('carol', 'carol-password-1');
    const res = await api.post('/logout', { token, json: { everything: true } });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ in: 'body', pointer: '/everything', message: 'is not allowed' }]);
    expect((await api.get('/me', { token })).status).toBe(200);
  });
});
