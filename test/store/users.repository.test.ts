import { normaliseUsername } from '../../src/core/username';
import { CANONICAL_UUID } from '../../src/core/uuid';
import type { Database } from '../../src/store/database';
import { UsernameTakenError, UsersRepository } from '../../src/store/users.repository';
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

test('normaliseUsername trims and lower-cases', () => {
  expect(normaliseUsername('  Alice.Smith\t')).toBe('alice.smith');
});

describe.each(testDatabaseNames())('UsersRepository on %s', (name) => {
  let db: Database;
  let users: UsersRepository;

  beforeAll(() => {
    db = databases.find((d) => d.name === name)!.db;
    users = new UsersRepository(db);
  });
  beforeEach(() => truncateAll(db));

  test('create stores a normalised user and returns a mapped record', async () => {
    const before = Date.now();
    const user = await users.create({
      username: '  Alice ',
      passwordHash: 'hash-1',
      scopes: ['items:read', 'items:write'],
    });

    expect(user).toEqual({
      id: expect.stringMatching(CANONICAL_UUID),
      username: 'alice',
      passwordHash: 'hash-1',
      scopes: ['items:read', 'items:write'],
      createdAt: expect.any(Date),
      disabledAt: null,
    });
    expect(Math.abs(user.createdAt.getTime() - before)).toBeLessThan(60_000);
  });

  test('scopes round-trip exactly, including empty lists and awkward characters', async () => {
    const awkward = ['a,b', 'quote"d', '{braced}', 'back\\slash', 'NULL', ''];
    const a = await users.create({ username: 'awkward', passwordHash: 'h', scopes: awkward });
    const b = await users.create({ username: 'empty', passwordHash: 'h', scopes: [] });

    expect((await users.findById(a.id))?.scopes).toEqual(awkward);
    expect((await users.findById(b.id))?.scopes).toEqual([]);
  });

  test('findByUsername normalises its input and returns null when absent', async () => {
    const created = await users.create({ username: 'bob', passwordHash: 'h', scopes: [] });

    expect(await users.findByUsername('  BOB  ')).toEqual(created);
    expect(await users.findByUsername('bobby')).toBeNull();
  });

  test('a duplicate username (after normalisation) throws UsernameTakenError', async () => {
    await users.create({ username: 'carol', passwordHash: 'h', scopes: [] });

    const attempt = users.create({ username: ' CAROL', passwordHash: 'other', scopes: [] });
    await expect(attempt).rejects.toBeInstanceOf(UsernameTakenError);
    await expect(attempt).rejects.toMatchObject({ code: 'username_taken', username: 'carol' });
    expect(await users.count()).toBe(1);
  });

  test('findById finds by id and returns null for unknown or malformed ids', async () => {
    const created = await users.create({ username: 'dave', passwordHash: 'h', scopes: ['x'] });

    expect(await users.findById(created.id)).toEqual(created);
    expect(await users.findById(created.id.toUpperCase())).toEqual(created);
    expect(await users.findById('00000000-0000-4000-8000-000000000000')).toBeNull();
    for (const bad of ['', 'not-a-uuid', "' OR 1=1 --", `${created.id}x`, created.id.replace(/-/g, '')]) {
      expect(await users.findById(bad)).toBeNull();
    }
  });

  test('updatePasswordHash replaces the hash and bumps updated_at', async () => {
    const created = await users.create({ username: 'erin', passwordHash: 'old', scopes: [] });

    await users.updatePasswordHash(created.id, 'new');

    expect((await users.findById(created.id))?.passwordHash).toBe('new');
    const [row] = await db.query<{ bumped: boolean }>(
      'SELECT updated_at >= created_at AS bumped FROM users WHERE id = $1',
      [created.id],
    );
    expect(row?.bumped).toBe(true);
    await expect(users.updatePasswordHash('not-a-uuid', 'x')).resolves.toBeUndefined();
  });

  test('count counts every user', async () => {
    expect(await users.count()).toBe(0);
    await users.create({ username: 'f1', passwordHash: 'h', scopes: [] });
    await users.create({ username: 'f2', passwordHash: 'h', scopes: [] });
    expect(await users.count()).toBe(2);
  });

  test('disabledAt is mapped to a Date when set', async () => {
    const created = await users.create({ username: 'gina', passwordHash: 'h', scopes: [] });
    await db.query('UPDATE users SET disabled_at = now() WHERE id = $1', [created.id]);

    expect((await users.findByUsername('gina'))?.disabledAt).toBeInstanceOf(Date);
  });
});
