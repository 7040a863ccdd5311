/**
 * POST /logout (logout): ends the session of the presented token, at once.
 */
import { client } from '../../support/contract';
import { startTestApp, type TestApp } from '../../support/app';

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

  it('leaves the user\'s other sessions alone', async () => {
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
    expect(res.headers['www-authenticate']).toBe('Bearer realm="specgate"');
  });

  it('removes the session key and its entry in the user\'s session set', async () => {
    const token = await api.login('carol', 'carol-password-1');
    const { sub, jti } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub: string; jti: string };
    expect(await t.redis.sismember(`auth:user:${sub}:sessions`, jti)).toBe(1);
    await api.post('/logout', { token });
    expect(await t.redis.exists(`auth:session:${jti}`)).toBe(0);
    expect(await t.redis.sismember(`auth:user:${sub}:sessions`, jti)).toBe(0);
  });
});
