/**
 * POST /v1/users (createUser) and GET /v1/users/{userId} (getUser), for users:admin.
 */

import { startTestApp, type TestApp } from '../../support/app';
import { client } from '../../support/contract';

let t: TestApp;
let api: ReturnType<typeof client>;
let admin: string;

beforeAll(async () => {
  t = await startTestApp();
  api = client(t.url);
  await t.createUser('root-admin', 'root-admin-password', ['users:admin']);
  admin = await api.login('root-admin', 'root-admin-password');
});
afterAll(() => t.stop());

const create = (json: unknown, token = admin) => api.post('/v1/users', { token, json });

describe('createUser', () => {
  it('creates a user who can then log in; Location leads to it', async () => {
    const res = await create({ username: '  Uma.K ', password: 'uma has a long password', scopes: ['items:read'] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ username: 'uma.k', scopes: ['items:read'] });
    expect(res.headers.location).toBe(`/v1/users/${res.body.id}`);
    const fetched = await api.get(res.headers.location!, { token: admin });
    expect(fetched.body).toEqual(res.body);
    expect(
      (
        await api.post('/token', {
          form: { grant_type: 'password', username: 'UMA.K', password: 'uma has a long password' },
        })
      ).status,
    ).toBe(200);
  });

  it('answers 409 for a taken username, whatever its case', async () => {
    await create({ username: 'victor', password: 'victor long password', scopes: [] });
    const res = await create({ username: 'Victor', password: 'another long password', scopes: [] });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('conflict');
  });

  it('validates username, scopes and unknown fields, listing every violation', async () => {
    const res = await create({ username: 'a!', password: 'fine long password', scopes: ['root'], admin: true });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([
      '/admin',
      '/scopes/0',
      '/username',
    ]);
  });

  it('refuses short, long and common passwords', async () => {
    for (const password of ['short', 'y'.repeat(129), 'qwertyuiop', 'iloveyou123']) {
      const res = await create({ username: 'wendy', password, scopes: [] });
      expect([password, res.status]).toEqual([password, 400]);
      expect(res.body.errors[0].pointer).toBe('/password');
    }
  });

  it('needs users:admin', async () => {
    await t.createUser('xena', 'xena-password-1', ['items:read']);
    const token = await api.login('xena', 'xena-password-1');
    const res = await create({ username: 'yuri', password: 'yuri long password', scopes: [] }, token);
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toMatch(/scope="users:admin"/);
    expect((await api.get('/v1/users/00000000-0000-4000-8000-000000000000', { token })).status).toBe(403);
  });

  it('answers 404 for an unknown user id', async () => {
    expect((await api.get('/v1/users/00000000-0000-4000-8000-000000000000', { token: admin })).status).toBe(404);
  });
});
