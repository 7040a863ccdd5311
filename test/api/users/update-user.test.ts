/**
 * PATCH /v1/users/{userId} (updateUser): disabling ends every session at once, taking a scope away
 * narrows every session at once, and the last enabled admin cannot be removed.
 */
import { UsersRepository } from '../../../src/store/users.repository';
import type { TestApp } from '../../support/app';
import type { client, RequestOptions } from '../../support/contract';
import { startAdminApp } from './admin-app';

let t: TestApp;
let api: ReturnType<typeof client>;
let admin: string;
let adminId: string;

beforeAll(async () => void ({ t, api, admin, adminId } = await startAdminApp()));
afterAll(() => t.stop());

const MERGE = { 'content-type': 'application/merge-patch+json' };
const patch = (userId: string, json: unknown, opts: RequestOptions = {}) =>
  api.request('PATCH', `/v1/users/${userId}`, { token: admin, json, headers: MERGE, ...opts });
const grant = (username: string, password: string) =>
  api.post('/token', { form: { grant_type: 'password', username, password } });
let serial = 0;
async function newUser(scopes = ['items:read', 'items:write']) {
  const name = `user-${++serial}`;
  const password = `${name}-password-1`;
  return { id: await t.createUser(name, password, scopes), name, password };
}

describe('updateUser: disabling', () => {
  it('ends every session at once: item operations refuse the access tokens on the very next request', async () => {
    const u = await newUser();
    const first = (await grant(u.name, u.password)).body;
    const second = (await grant(u.name, u.password)).body;
    const item = await api.post('/v1/items', {
      token: first.access_token,
      json: { name: 'Cup', category: 'kitchen', price_cents: 1 },
    });
    expect(item.status).toBe(201);
    expect((await api.get('/v1/items', { token: second.access_token })).status).toBe(200);

    const res = await patch(u.id, { disabled: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: u.id, disabled: true, scopes: ['items:read', 'items:write'] });

    for (const token of [first.access_token, second.access_token]) {
      for (const r of [
        await api.get('/v1/items', { token }),
        await api.get(`/v1/items/${item.body.id}`, { token }),
        await api.request('DELETE', `/v1/items/${item.body.id}`, { token }),
      ]) {
        expect(r.status).toBe(401);
        expect(r.body.code).toBe('invalid_token');
      }
    }
    expect(
      (await api.post('/token', { form: { grant_type: 'refresh_token', refresh_token: first.refresh_token } })).body
        .error,
    ).toBe('invalid_grant');
    expect((await grant(u.name, u.password)).body.error).toBe('invalid_grant');
  });

  it('lets a re-enabled user log in again, while the sessions it ended stay ended', async () => {
    const u = await newUser();
    const before = await api.login(u.name, u.password);
    await patch(u.id, { disabled: true });
    const res = await patch(u.id, { disabled: false });
    expect(res.body.disabled).toBe(false);
    expect((await api.get('/v1/items', { token: before })).status).toBe(401);
    expect((await api.get('/v1/items', { token: await api.login(u.name, u.password) })).status).toBe(200);
  });

  it('logs who disabled whom, with no secret', async () => {
    const u = await newUser();
    await api.login(u.name, u.password);
    await patch(u.id, { disabled: true });
    const line = t.logs.map((l) => JSON.parse(l)).find((l) => l.target === u.id && l.disabled === true);
    expect(line).toMatchObject({ level: 'info', by: adminId, sessionsEnded: 1 });
    expect(JSON.stringify(line)).not.toMatch(/password|eyJ/);
  });
});

describe('updateUser: scopes', () => {
  it('takes a removed scope away from live access tokens at once, keeping the other scopes', async () => {
    const u = await newUser();
    const tokens = (await grant(u.name, u.password)).body;
    const res = await patch(u.id, { scopes: ['items:read'] });
    expect(res.status).toBe(200);
    expect(res.body.scopes).toEqual(['items:read']);

    const write = await api.post('/v1/items', {
      token: tokens.access_token,
      json: { name: 'Jug', category: 'kitchen', price_cents: 2 },
    });
    expect(write.status).toBe(403);
    expect(write.body.code).toBe('insufficient_scope');
    expect((await api.get('/v1/items', { token: tokens.access_token })).status).toBe(200);
    expect((await api.get('/me', { token: tokens.access_token })).status).toBe(200);
  });

  it('does not let a refresh bring the removed scope back', async () => {
    const u = await newUser();
    const tokens = (await grant(u.name, u.password)).body;
    await patch(u.id, { scopes: ['items:read'] });
    const refreshed = await api.post('/token', {
      form: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.scope).toBe('items:read');
    expect(
      (
        await api.post('/v1/items', {
          token: refreshed.body.access_token,
          json: { name: 'Pot', category: 'kitchen', price_cents: 3 },
        })
      ).status,
    ).toBe(403);
    const widen = await api.post('/token', {
      form: {
        grant_type: 'refresh_token',
        refresh_token: refreshed.body.refresh_token,
        scope: 'items:read items:write',
      },
    });
    expect(widen.body.error).toBe('invalid_scope');
  });

  it('makes introspection report the narrowed scope of a live access token', async () => {
    const u = await newUser();
    const token = await api.login(u.name, u.password);
    const inspector = await newUser(['tokens:introspect']);
    const inspectorToken = await api.login(inspector.name, inspector.password);
    await patch(u.id, { scopes: ['items:read'] });
    const res = await api.post('/introspect', { token: inspectorToken, form: { token } });
    expect(res.body).toMatchObject({ active: true, sub: u.id, scope: 'items:read' });
  });

  it("leaves sessions alone when scopes are only added, and the admin's own token works on", async () => {
    const u = await newUser(['items:read']);
    const token = await api.login(u.name, u.password);
    const res = await patch(u.id, { scopes: ['items:read', 'tokens:introspect'] });
    expect(res.body.scopes).toEqual(['items:read', 'tokens:introspect']);
    expect((await api.get('/v1/items', { token })).status).toBe(200);
    expect((await patch(u.id, {})).body).toEqual(res.body);
  });
});

describe('updateUser: repeating after a failure', () => {
  it('narrows sessions that an attempt whose session-store step failed left wide, when repeated', async () => {
    const u = await newUser();
    const token = await api.login(u.name, u.password);
    // The database step of a first attempt, whose Redis step then failed (503).
    await new UsersRepository(t.db).update(u.id, { scopes: ['items:read'] });
    expect(
      (await api.post('/v1/items', { token, json: { name: 'Tray', category: 'kitchen', price_cents: 6 } })).status,
    ).toBe(201);
    expect((await patch(u.id, { scopes: ['items:read'] })).status).toBe(200);
    expect(
      (await api.post('/v1/items', { token, json: { name: 'Tray', category: 'kitchen', price_cents: 6 } })).status,
    ).toBe(403);
  });
});

describe('updateUser: the last admin', () => {
  it('answers 409 conflict to disabling or demoting the last enabled admin, and allows it once another exists', async () => {
    for (const body of [{ disabled: true }, { scopes: ['items:read'] }]) {
      const res = await patch(adminId, body);
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('conflict');
      expect(res.body.type).toBe('/docs#section/Errors/conflict');
    }
    expect((await api.get('/v1/users', { token: admin })).status).toBe(200);

    const deputy = await newUser(['users:admin']);
    const deputyToken = await api.login(deputy.name, deputy.password);
    expect((await patch(adminId, { scopes: ['users:admin', 'items:read'] })).status).toBe(200);
    const demoted = await patch(deputy.id, { scopes: [] });
    expect(demoted.status).toBe(200);
    expect((await api.get('/v1/users', { token: deputyToken })).status).toBe(403);
    expect((await patch(adminId, { disabled: true })).status).toBe(409);
  });
});

describe('updateUser: errors', () => {
  it('answers 404 for an unknown user and 400 for unknown members, null or unknown scopes', async () => {
    const unknown = await patch('00000000-0000-4000-8000-000000000000', { disabled: true });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('not_found');
    const u = await newUser();
    const bad = await patch(u.id, { disabled: 'yes', scopes: ['root'], admin: true });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([
      '/admin',
      '/disabled',
      '/scopes/0',
    ]);
    expect((await patch(u.id, { scopes: null })).status).toBe(400);
  });

  it('needs users:admin', async () => {
    const u = await newUser();
    const token = await api.login(u.name, u.password);
    const res = await patch(u.id, { disabled: true }, { token });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('insufficient_scope');
  });
});
