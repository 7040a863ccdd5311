/**
 * POST /v1/items (createItem): defaults, trimming, Location and ETag; request validation (every
 * violation listed); scopes.
 */
import { type ItemsContext, itemsApi, pointers, sample, startItemsApp } from './items-support';

let ctx: ItemsContext;
let items: ReturnType<typeof itemsApi>;

beforeAll(async () => {
  ctx = await startItemsApp();
  items = itemsApi(ctx);
});
afterAll(() => ctx.t.stop());

describe('createItem', () => {
  it('answers 201 with the item, Location and ETag "1"; defaults description and tags', async () => {
    const res = await items.create(sample());
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Espresso cup',
      description: '',
      category: 'kitchen',
      price_cents: 1250,
      tags: [],
      version: 1,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(new Date(res.body.created_at).toISOString()).toBe(res.body.created_at);
    expect(res.body.updated_at).toBe(res.body.created_at);
    expect(res.headers.location).toBe(`/v1/items/${res.body.id}`);
    expect(res.headers.etag).toBe('"1"');

    const fetched = await ctx.api.get(res.headers.location!, { token: ctx.writer });
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(res.body);
  });

  it('stores the name trimmed and keeps every given field', async () => {
    const res = await items.create(
      sample({
        name: '  \tTea pot \n',
        description: '  Kept as sent. ',
        price_cents: 0,
        tags: ['porcelain', 'tea-set'],
      }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Tea pot',
      description: '  Kept as sent. ',
      price_cents: 0,
      tags: ['porcelain', 'tea-set'],
    });
    expect((await items.get(res.body.id)).body).toEqual(res.body);
  });

  it('accepts the price bounds 0 and 100000000', async () => {
    expect((await items.create(sample({ price_cents: 100_000_000 }))).status).toBe(201);
    expect((await items.create(sample({ price_cents: 0 }))).status).toBe(201);
  });

  it('gives every item its own id', async () => {
    const [a, b] = await Promise.all([items.create(sample()), items.create(sample())]);
    expect(a!.body.id).not.toBe(b!.body.id);
  });
});

describe('createItem validation', () => {
  it('rejects an unknown field, naming it', async () => {
    const res = await items.create(sample({ colour: 'red' }));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors).toEqual([{ in: 'body', pointer: '/colour', message: 'is not allowed' }]);
  });

  it('rejects a blank or empty name', async () => {
    for (const name of ['   ', '', '\t\n']) {
      const res = await items.create(sample({ name }));
      expect([JSON.stringify(name), res.status]).toEqual([JSON.stringify(name), 400]);
      // "" breaks both minLength and the non-blank pattern: one violation each, all on /name.
      expect([...new Set(pointers(res))]).toEqual(['/name']);
    }
    expect(pointers(await items.create(sample({ name: 'x'.repeat(201) })))).toEqual(['/name']);
  });

  it('rejects a bad category', async () => {
    for (const category of ['Kitchen', '-kitchen', 'kit chen', '', 'k'.repeat(41)]) {
      const res = await items.create(sample({ category }));
      expect([category, res.status]).toEqual([category, 400]);
      expect(pointers(res)).toEqual(['/category']);
    }
  });

  it('rejects too many, duplicate or malformed tags', async () => {
    const tooMany = await items.create(sample({ tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }));
    expect(tooMany.status).toBe(400);
    expect(pointers(tooMany)).toEqual(['/tags']);
    expect((await items.create(sample({ tags: Array.from({ length: 10 }, (_, i) => `t${i}`) }))).status).toBe(201);

    const duplicate = await items.create(sample({ tags: ['sale', 'sale'] }));
    expect(duplicate.status).toBe(400);
    expect(pointers(duplicate)).toEqual(['/tags']);

    const malformed = await items.create(sample({ tags: ['ok', 'Not OK'] }));
    expect(pointers(malformed)).toEqual(['/tags/1']);
  });

  it('rejects a price out of range or not an integer', async () => {
    for (const price_cents of [-1, 100_000_001, 12.5, '1250']) {
      const res = await items.create(sample({ price_cents }));
      expect([price_cents, res.status]).toEqual([price_cents, 400]);
      expect(pointers(res)).toEqual(['/price_cents']);
    }
  });

  it('requires name, category and price_cents', async () => {
    const res = await items.create({});
    expect(res.status).toBe(400);
    expect(pointers(res)).toEqual(['/category', '/name', '/price_cents']);
  });

  it('lists every violation at once', async () => {
    const res = await items.create({ name: ' ', category: 'Bad!', price_cents: -5, tags: ['a', 'a'], colour: 'red' });
    expect(res.status).toBe(400);
    expect(pointers(res)).toEqual(['/category', '/colour', '/name', '/price_cents', '/tags']);
    expect(res.body.detail).toBe('The request has 5 violations.');
  });

  it('stores nothing for a refused request', async () => {
    const before = await items.list('limit=100');
    await items.create(sample({ name: 'refused', colour: 'red' }));
    const after = await items.list('limit=100');
    expect(after.body.items.map((i: { name: string }) => i.name)).not.toContain('refused');
    expect(after.body.items.length).toBe(before.body.items.length);
  });
});

describe('scopes', () => {
  let reader: string;
  beforeAll(async () => {
    await ctx.t.createUser('item-reader', 'item-reader-password', ['items:read']);
    reader = await ctx.api.login('item-reader', 'item-reader-password');
  });

  it('items:read may read but not write (403 naming items:write)', async () => {
    const item = await items.make();
    const created = await items.create(sample(), reader);
    expect(created.status).toBe(403);
    expect(created.headers['www-authenticate']).toMatch(/scope="items:write"/);
    expect((await items.put(item.id, sample(), undefined, reader)).status).toBe(403);
    expect((await items.patch(item.id, { price_cents: 1 }, undefined, reader)).status).toBe(403);
    expect((await items.del(item.id, undefined, reader)).status).toBe(403);

    expect((await items.get(item.id, reader)).status).toBe(200);
    expect((await items.list('', reader)).status).toBe(200);
    expect((await items.categories(reader)).status).toBe(200);
    expect((await items.get(item.id)).body.version).toBe(1);
  });

  it('a token without items:read cannot read', async () => {
    await ctx.t.createUser('no-items', 'no-items-password', ['users:admin']);
    const token = await ctx.api.login('no-items', 'no-items-password');
    expect((await items.list('', token)).status).toBe(403);
    expect((await items.categories(token)).status).toBe(403);
  });

  it('without a token: 401', async () => {
    expect((await ctx.api.post('/v1/items', { json: sample() })).status).toBe(401);
    expect((await ctx.api.get('/v1/items')).status).toBe(401);
  });
});
