/**
 * POST /token (issueToken): the OAuth2 password grant against a real Redis and database.
 */

import { createHash } from 'node:crypto';
import argon2 from 'argon2';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { UsersRepository } from '../../../src/store/users.repository';
import { startTestApp, type TestApp } from '../../support/app';
import { client } from '../../support/contract';
import { startRedis } from '../../support/redis-server';

let t: TestApp;
let api: ReturnType<typeof client>;
const PASSWORD = 'correct horse battery staple';

beforeAll(async () => {
  t = await startTestApp();
  api = client(t.url);
  await t.createUser('alice', PASSWORD, ['items:read', 'items:write']);
});
afterAll(() => t.stop());

const grant = (extra: Record<string, string> = {}) => ({
  form: { grant_type: 'password', username: 'alice', password: PASSWORD, ...extra },
});

describe('issueToken', () => {
  it("issues a bearer token with all of the user's scopes by default", async () => {
    const res = await api.post('/token', grant());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'items:read items:write' });
    expect(res.body.refresh_token).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');
  });

  it('signs an RFC 9068 access token with the documented claims', async () => {
    const res = await api.post('/token', grant({ client_id: 'cli-1' }));
    const token = res.body.access_token as string;
    expect(decodeProtectedHeader(token)).toEqual({
      alg: 'HS256',
      typ: 'at+jwt',
      kid: expect.stringMatching(/^hs256-/),
    });
    const claims = decodeJwt(token);
    expect(Object.keys(claims).sort()).toEqual(['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sid', 'sub']);
    expect(claims).toMatchObject({
      iss: t.config.publicUrl,
      aud: 'specgate-api',
      client_id: 'cli-1',
      scope: 'items:read items:write',
    });
    expect(claims.exp! - claims.iat!).toBe(900);
  });

  it('records the session in Redis: the access token, and the refresh token only as a hash', async () => {
    const res = await api.post('/token', grant());
    const { jti, exp, sid, sub } = decodeJwt(res.body.access_token) as {
      jti: string;
      exp: number;
      sid: string;
      sub: string;
    };
    const session = await t.redis.hgetall(`auth:session:${sid}`);
    expect(session).toMatchObject({
      sub,
      client_id: 'specgate',
      scope: 'items:read items:write',
      at: jti,
      at_exp: String(exp),
    });
    expect(session.rt).toBe(createHash('sha256').update(res.body.refresh_token).digest('hex'));
    expect(JSON.stringify(session)).not.toContain(res.body.refresh_token.split('.')[1]);
    // Idle limit (7 days by default) well inside the absolute one (30 days).
    const ttl = await t.redis.ttl(`auth:session:${sid}`);
    expect(Math.abs(ttl - 7 * 86400)).toBeLessThan(10);
    expect(await t.redis.zscore(`auth:user:${sub}:session-index`, sid)).not.toBeNull();
  });

  it('narrows to the requested scopes', async () => {
    const res = await api.post('/token', grant({ scope: 'items:read' }));
    expect(res.body.scope).toBe('items:read');
    expect(decodeJwt(res.body.access_token).scope).toBe('items:read');
  });

  it('refuses scopes the user does not hold with invalid_scope', async () => {
    for (const scope of ['users:admin', 'items:read users:admin', 'nonsense']) {
      const res = await api.post('/token', grant({ scope }));
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_scope');
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  it('answers a wrong password and an unknown user with the same invalid_grant', async () => {
    const wrong = await api.post('/token', grant({ password: 'not the password' }));
    const unknown = await api.post('/token', grant({ username: 'nobody' }));
    expect(wrong.status).toBe(400);
    expect(unknown.status).toBe(400);
    expect(wrong.text).toBe(unknown.text);
    expect(wrong.body.error).toBe('invalid_grant');
  });

  it('matches usernames case-insensitively and trimmed', async () => {
    expect((await api.post('/token', grant({ username: ' Alice ' }))).status).toBe(200);
  });

  it('answers unsupported_grant_type for another grant', async () => {
    const res = await api.post('/token', { form: { grant_type: 'urn:ietf:params:oauth:grant-type:device_code' } });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('unsupported_grant_type');
  });

  it('answers invalid_request for missing or repeated parameters', async () => {
    const cases: Array<{ form?: Record<string, string>; body?: string; headers?: Record<string, string> }> = [
      { form: { username: 'alice', password: PASSWORD } },
      { form: { grant_type: 'refresh_token' } },
      { form: { grant_type: 'password', username: 'alice' } },
      { form: { grant_type: 'password', username: '', password: PASSWORD } },
      {
        body: `grant_type=password&username=alice&username=bob&password=x`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      { body: '', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    ];
    for (const c of cases) {
      const res = await api.post('/token', c);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
    }
  });

  it('ignores parameters it does not know (RFC 6749 §3.2)', async () => {
    expect((await api.post('/token', grant({ foo: 'bar' }))).status).toBe(200);
  });

  it('answers a JSON body with 415 in the OAuth error format', async () => {
    const res = await api.post('/token', { json: { grant_type: 'password', username: 'alice', password: PASSWORD } });
    expect(res.status).toBe(415);
    expect(res.body.error).toBe('invalid_request');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('answers an oversized body with 413 in the OAuth error format', async () => {
    const res = await api.post('/token', grant({ password: 'x'.repeat(70 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.body.error).toBe('invalid_request');
  });

  it('re-hashes a password stored with other argon2 parameters at the next login', async () => {
    const old = await argon2.hash('old-params-password', {
      type: argon2.argon2id,
      memoryCost: 4096,
      timeCost: 3,
      parallelism: 1,
    });
    const users = new UsersRepository(t.db);
    const { id } = await users.create({ username: 'rehash-me', passwordHash: old, scopes: [] });
    expect(
      (
        await api.post('/token', {
          form: { grant_type: 'password', username: 'rehash-me', password: 'old-params-password' },
        })
      ).status,
    ).toBe(200);
    const stored = (await users.findById(id))!.passwordHash;
    expect(stored).not.toBe(old);
    expect(t.app.passwords.needsRehash(stored)).toBe(false);
    expect(await argon2.verify(stored, 'old-params-password')).toBe(true);
  });

  it('does not issue a token when Redis cannot record the session (503)', async () => {
    const down = await startTestApp({ db: t.db, redisServer: await startRedis({ password: 'down-redis' }) });
    try {
      await down.createUser('bob', PASSWORD, []);
      await down.redisServer.kill();
      const res = await client(down.url).post('/token', {
        form: { grant_type: 'password', username: 'bob', password: PASSWORD },
      });
      expect(res.status).toBe(503);
      expect(res.body.error).toBe('temporarily_unavailable');
      expect(res.headers['retry-after']).toBe('5');
      expect(res.headers['cache-control']).toBe('no-store');
    } finally {
      await down.stop();
      await down.redisServer.stop();
    }
  });
});
