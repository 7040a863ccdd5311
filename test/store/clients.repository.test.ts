import { CANONICAL_UUID } from '../../src/core/uuid';
import { ClientsRepository, type NewClient } from '../../src/store/clients.repository';
import type { Database } from '../../src/store/database';
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

const service: NewClient = {
  name: 'billing',
  secretHash: 'hash-1',
  grantTypes: ['client_credentials'],
  scopes: ['items:read'],
  redirectUris: [],
  dpopBoundAccessTokens: false,
  firstParty: false,
};

describe.each(testDatabaseNames())('ClientsRepository on %s', (name) => {
  let db: Database;
  let clients: ClientsRepository;

  beforeAll(() => {
    db = databases.find((d) => d.name === name)!.db;
    clients = new ClientsRepository(db);
  });
  beforeEach(() => truncateAll(db));

  test('create stores every column and findById reads it back', async () => {
    const created = await clients.create({ ...service, redirectUris: ['https://app.example/cb'], firstParty: true });

    expect(created).toEqual({
      ...service,
      id: expect.stringMatching(CANONICAL_UUID),
      redirectUris: ['https://app.example/cb'],
      firstParty: true,
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
      disabledAt: null,
    });
    expect(await clients.findById(created!.id)).toEqual(created);
  });

  test('a public client has no secret hash', async () => {
    const created = await clients.create({ ...service, secretHash: null });
    expect((await clients.findById(created!.id))?.secretHash).toBeNull();
  });

  test('findById answers null for an unknown id and for one that is not a UUID', async () => {
    expect(await clients.findById('6d0e8b2f-4a91-4c1e-9a57-3f1c7a4e2b8d')).toBeNull();
    expect(await clients.findById('not-a-uuid')).toBeNull();
  });

  test('update changes only the members given, and disabling keeps the first disable time', async () => {
    const created = await clients.create(service);
    const disabled = await clients.update(created!.id, { disabled: true, scopes: ['items:write'] });
    expect(disabled).toMatchObject({ name: 'billing', scopes: ['items:write'], disabledAt: expect.any(Date) });
    const again = await clients.update(created!.id, { disabled: true });
    expect(again?.disabledAt).toEqual(disabled?.disabledAt);
    expect((await clients.update(created!.id, { disabled: false }))?.disabledAt).toBeNull();
    expect(await clients.update('6d0e8b2f-4a91-4c1e-9a57-3f1c7a4e2b8d', { name: 'x' })).toBeNull();
  });

  test('list pages through every client once, oldest first', async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await clients.create({ ...service, name: `c${i}` }))!.id);
    const seen: string[] = [];
    let page = await clients.list({ limit: 2 });
    seen.push(...page.clients.map((c) => c.id));
    while (page.next) {
      page = await clients.list({ limit: 2, after: page.next });
      seen.push(...page.clients.map((c) => c.id));
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen)).toEqual(new Set(made));
  });

  test('secret rotation replaces the hash and delete removes the row', async () => {
    const created = await clients.create(service);
    expect((await clients.updateSecretHash(created!.id, 'hash-2'))?.secretHash).toBe('hash-2');
    expect(await clients.delete(created!.id)).toBe(true);
    expect(await clients.delete(created!.id)).toBe(false);
    expect(await clients.findById(created!.id)).toBeNull();
  });
});
