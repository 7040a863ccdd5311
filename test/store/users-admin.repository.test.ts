/**
 * The administrators' writes of UsersRepository (list, update, delete) on PGlite, and on
 * PostgreSQL when TEST_DATABASE_URL is set: above all, that no interleaving of concurrent writes
 * leaves zero enabled users holding users:admin.
 */
import type { Database } from '../../src/store/database';
import { isEnabledAdmin, UsersRepository } from '../../src/store/users.repository';
import {
  closeTestDatabases,
  openTestDatabases,
  type TestDatabase,
  testDatabaseNames,
  truncateAll,
} from '../support/database';

let databases: TestDatabase[] = [];
beforeAll(async () => {
  databases = await openTestDatabases();
}, 60_000);
afterAll(() => closeTestDatabases(databases));

describe.each(testDatabaseNames())('administering users on %s', (name) => {
  let db: Database;
  let users: UsersRepository;
  const make = (username: string, scopes: string[]) => users.create({ username, passwordHash: 'h', scopes });
  const enabledAdmins = async () => (await users.list({ limit: 100 })).users.filter(isEnabledAdmin).length;

  beforeAll(() => {
    db = databases.find((d) => d.name === name)!.db;
    users = new UsersRepository(db);
  });
  beforeEach(() => truncateAll(db));

  it('lists by username bytewise, page by page, with a prefix that treats _ and % literally', async () => {
    for (const u of ['b_c', 'bxc', 'b-a', 'b.z', 'a1', 'c%d']) await make(u, []);
    const first = await users.list({ prefix: 'b', limit: 2 });
    expect(first.users.map((u) => u.username)).toEqual(['b-a', 'b.z']);
    const second = await users.list({ prefix: 'b', limit: 2, after: first.next! });
    expect(second.users.map((u) => u.username)).toEqual(['b_c', 'bxc']);
    expect(second.next).toBeNull();
    expect((await users.list({ prefix: 'b_', limit: 10 })).users.map((u) => u.username)).toEqual(['b_c']);
    expect((await users.list({ prefix: 'c%', limit: 10 })).users.map((u) => u.username)).toEqual(['c%d']);
    expect((await users.list({ prefix: 'c_', limit: 10 })).users).toEqual([]);
  });

  it('refuses to disable, demote or delete the last enabled admin, and allows it while another exists', async () => {
    const a = await make('ada', ['users:admin']);
    await make('disabled-admin', ['users:admin']).then((u) => users.update(u.id, { disabled: true }));
    expect((await users.update(a.id, { disabled: true })).kind).toBe('last_admin');
    expect((await users.update(a.id, { scopes: ['items:read'] })).kind).toBe('last_admin');
    expect((await users.delete(a.id)).kind).toBe('last_admin');
    expect((await users.update(a.id, { scopes: ['users:admin', 'items:read'] })).kind).toBe('ok');
    const b = await make('bob', ['users:admin']);
    expect((await users.update(a.id, { disabled: true })).kind).toBe('ok');
    expect((await users.delete(b.id)).kind).toBe('last_admin');
  });

  it('keeps one enabled admin when two admins disable each other at the same moment', async () => {
    for (let round = 0; round < 15; round++) {
      await truncateAll(db);
      const [a, b] = [await make(`a${round}`, ['users:admin']), await make(`b${round}`, ['users:admin'])];
      const results = await Promise.all([
        users.update(b.id, { disabled: true }),
        users.update(a.id, { disabled: true }),
      ]);
      expect(results.map((r) => r.kind).sort()).toEqual(['last_admin', 'ok']);
      expect(await enabledAdmins()).toBe(1);
    }
  });

  it('keeps one enabled admin whatever mix of demotions, disables and deletions runs at once', async () => {
    for (let round = 0; round < 10; round++) {
      await truncateAll(db);
      const admins = await Promise.all(['p', 'q', 'r'].map((n) => make(`${n}${round}`, ['users:admin', 'items:read'])));
      await Promise.all([
        users.update(admins[0]!.id, { scopes: ['items:read'] }),
        users.delete(admins[1]!.id),
        users.update(admins[2]!.id, { disabled: true }),
        users.update(admins[0]!.id, { disabled: true }),
      ]);
      expect(await enabledAdmins()).toBe(1);
    }
  });

  it('answers not_found for an unknown or malformed id, and writes nothing for an empty change', async () => {
    expect((await users.update('00000000-0000-4000-8000-000000000000', { disabled: true })).kind).toBe('not_found');
    expect((await users.delete('nope')).kind).toBe('not_found');
    const u = await make('carl', ['items:read']);
    const same = await users.update(u.id, {});
    expect(same).toMatchObject({ kind: 'ok', after: { username: 'carl', scopes: ['items:read'], disabledAt: null } });
  });

  it('keeps the first disabled_at when a disabled user is disabled again, and clears it on enable', async () => {
    const u = await make('dora', []);
    const first = await users.update(u.id, { disabled: true });
    const again = await users.update(u.id, { disabled: true });
    expect(
      first.kind === 'ok' &&
        again.kind === 'ok' &&
        again.after!.disabledAt!.getTime() === first.after!.disabledAt!.getTime(),
    ).toBe(true);
    const enabled = await users.update(u.id, { disabled: false });
    expect(enabled.kind === 'ok' && enabled.after!.disabledAt).toBeNull();
  });
});
