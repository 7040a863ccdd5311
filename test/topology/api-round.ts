/**
 * One user's whole round through the API, for the topology tests: logins, a cached read, a write
 * and the invalidation it causes, a refresh, a session list, a password change that ends the
 * other sessions, and a logout. Every step crosses Redis keys on several Cluster slots.
 */
import { decodeJwt } from 'jose';
import type { TestApp } from '../support/app';
import { client } from '../support/contract';

/** Runs the round as `username` (created here) and asserts each step. */
export async function apiRound(t: TestApp, username: string): Promise<void> {
  const api = client(t.url);
  const password = `${username}-password-1`;
  await t.createUser(username, password, ['items:read', 'items:write']);
  const login = async () => {
    const res = await api.post('/token', { form: { grant_type: 'password', username, password } });
    expect(res.status).toBe(200);
    return res.body as { access_token: string; refresh_token: string };
  };
  // Several sessions: their keys hash to different slots, the user's index to one more.
  const [first, second, third] = [await login(), await login(), await login()];
  const token = third.access_token;

  const created = await api.post('/v1/items', {
    token,
    json: { name: `${username} cup`, category: 'kitchen', price_cents: 1250 },
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const path = `/v1/items/${id}`;
  expect((await api.get(path, { token })).headers['x-cache']).toBe('MISS');
  const hit = await api.get(path, { token });
  expect([hit.status, hit.headers['x-cache'], hit.body.price_cents]).toEqual([200, 'HIT', 1250]);
  const list = `/v1/items?category=kitchen`;
  expect((await api.get(list, { token })).headers['x-cache']).toBe('MISS');
  expect((await api.get(list, { token })).headers['x-cache']).toBe('HIT');

  // An acknowledged write retires every cached answer it touches: never a stale read after it.
  const patched = await api.request('PATCH', path, {
    token,
    json: { price_cents: 990 },
    headers: { 'content-type': 'application/merge-patch+json', 'if-match': hit.headers.etag! },
  });
  expect(patched.status).toBe(200);
  const fresh = await api.get(path, { token });
  expect([fresh.headers['x-cache'], fresh.body.price_cents]).toEqual(['MISS', 990]);
  const freshList = await api.get(list, { token });
  expect(freshList.headers['x-cache']).toBe('MISS');
  expect(freshList.body.items.find((i: { id: string }) => i.id === id).price_cents).toBe(990);

  // The refresh rotation is one script on the session's key.
  const refreshed = await api.post('/token', {
    form: { grant_type: 'refresh_token', refresh_token: first.refresh_token },
  });
  expect(refreshed.status).toBe(200);
  const sessions = await api.get('/me/sessions', { token });
  expect(sessions.body.sessions.map((s: { id: string }) => s.id).sort()).toEqual(
    [first, second, third].map((s) => decodeJwt(s.access_token).sid).sort(),
  );

  // Ends every other session: DELs on their own slots, the index on its own.
  const changed = await api.request('PUT', '/me/password', {
    token,
    json: { current_password: password, new_password: `${username}-password-2` },
  });
  expect(changed.status).toBe(204);
  expect((await api.get('/me', { token: refreshed.body.access_token })).status).toBe(401);
  expect((await api.get('/me', { token: second.access_token })).status).toBe(401);
  expect((await api.get('/me', { token })).status).toBe(200);

  expect((await api.post('/logout', { token })).status).toBe(204);
  expect((await api.get('/me', { token })).status).toBe(401);
  expect((await api.get(path, { token })).status).toBe(401);
}

/**
 * The last case of a topology file: a user logs in, every data node of the file's topology is
 * killed, and a protected request gets 503 with Retry-After, never 200 without its session.
 */
export async function failsClosedWhenGone(t: TestApp): Promise<void> {
  const api = client(t.url);
  await t.createUser('gone-user', 'gone-user-password-1', ['items:read']);
  const token = await api.login('gone-user', 'gone-user-password-1');
  await t.redisServer.kill();
  const res = await api.get('/me', { token });
  expect(res.status).toBe(503);
  expect(res.headers['retry-after']).toBeDefined();
}
