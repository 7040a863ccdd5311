/**
 * GET /v1/users (listUsers), for users:admin: cursor paging, the username prefix filter and the
 * disabled state of each user.
 */

import type { TestApp } from '../../support/app';
import type { client } from '../../support/contract';
import { startAdminApp } from './admin-app';

let t: TestApp;
let api: ReturnType<typeof client>;
let admin: string;

beforeAll(async () => {
  ({ t, api, admin } = await startAdminApp());
  for (const name of ['list.b_x', 'list.bax', 'list.a', 'list.c', 'other'])
    await t.createUser(name, `${name}-password-1`, ['items:read']);
});
afterAll(() => t.stop());

const names = (res: { body: { users: { username: string }[] } }) => res.body.users.map((u) => u.username);

describe('listUsers', () => {
  it('pages through every user by username with opaque cursors, ending with a null cursor', async () => {
    const seen: string[] = [];
    let url = '/v1/users?limit=2';
    for (let pages = 0; pages < 10; pages++) {
      const res = await api.get(url, { token: admin });
      expect(res.status).toBe(200);
      expect(res.body.users.length).toBeLessThanOrEqual(2);
      seen.push(...names(res));
      if (res.body.next_cursor === null) break;
      url = `/v1/users?limit=2&cursor=${res.body.next_cursor}`;
    }
    expect(seen).toEqual(['list.a', 'list.b_x', 'list.bax', 'list.c', 'other', 'root-admin']);
  });

  it('filters by a username prefix, normalised like usernames, where _ is not a wildcard', async () => {
    expect(names(await api.get('/v1/users?username_prefix=%20LIST.B%20', { token: admin }))).toEqual([
      'list.b_x',
      'list.bax',
    ]);
    expect(names(await api.get('/v1/users?username_prefix=list.b_', { token: admin }))).toEqual(['list.b_x']);
    expect(names(await api.get('/v1/users?username_prefix=nobody', { token: admin }))).toEqual([]);
  });

  it("shows each user's scopes and whether they are disabled", async () => {
    const target = (await api.get('/v1/users?username_prefix=list.c', { token: admin })).body.users[0];
    expect(target).toMatchObject({ username: 'list.c', scopes: ['items:read'], disabled: false });
    await api.request('PATCH', `/v1/users/${target.id}`, {
      token: admin,
      json: { disabled: true },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    const after = (await api.get('/v1/users?username_prefix=list.c', { token: admin })).body.users[0];
    expect(after).toMatchObject({ id: target.id, disabled: true });
  });

  it('answers 400 at /cursor for a cursor it did not issue, and for a bad limit or prefix', async () => {
    for (const cursor of [
      'garbage',
      Buffer.from('["UPPER"]').toString('base64url'),
      Buffer.from('["a","b"]').toString('base64url'),
      // A real username in the form cursors had before they were authenticated.
      Buffer.from('["other"]').toString('base64url'),
    ]) {
      const res = await api.get(`/v1/users?cursor=${cursor}`, { token: admin });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors).toEqual([expect.objectContaining({ in: 'query', pointer: '/cursor' })]);
    }
    // A cursor is valid only in the listing (username prefix) that issued it.
    const issued = (await api.get('/v1/users?limit=1', { token: admin })).body.next_cursor;
    expect(typeof issued).toBe('string');
    const borrowed = await api.get(`/v1/users?username_prefix=zz&cursor=${issued}`, { token: admin });
    expect([borrowed.status, borrowed.body.errors?.[0]?.pointer]).toEqual([400, '/cursor']);
    expect((await api.get('/v1/users?limit=0', { token: admin })).status).toBe(400);
    expect((await api.get('/v1/users?username_prefix=a%25', { token: admin })).body.code).toBe('validation_failed');
  });

  it('needs users:admin, and a token', async () => {
    const reader = await api.login('other', 'other-password-1');
    const forbidden = await api.get('/v1/users', { token: reader });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('insufficient_scope');
    const anonymous = await api.get('/v1/users');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('unauthorized');
  });
});
