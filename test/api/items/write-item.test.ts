/**
 * PUT (replaceItem) and PATCH (updateItem) /v1/items/{itemId}: version and ETag bumps, RFC 7396
 * merge-patch semantics, If-Match (RFC 9110 §13.1.1: strong comparison, `*`, 404 before 412) and
 * the lost-update scenario. Every write must be visible to the next read through the API.
 */
import { type ItemsContext, itemsApi, pointers, sample, startItemsApp, UNKNOWN_ID } from './items-support';

let ctx: ItemsContext;
let items: ReturnType<typeof itemsApi>;

beforeAll(async () => {
  ctx = await startItemsApp();
  items = itemsApi(ctx);
});
afterAll(() => ctx.t.stop());

const replacement = {
  name: ' Espresso cup XL ',
  description: 'Bigger.',
  category: 'cups',
  price_cents: 1500,
  tags: ['xl'],
};

describe('replaceItem', () => {
  it('replaces every field, bumps the version and the ETag; the next GET shows it', async () => {
    const item = await items.make({ description: 'old', tags: ['old'] });
    await items.get(item.id); // a read before the write (may fill a cache)
    const res = await items.put(item.id, replacement);
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('"2"');
    expect(res.body).toEqual({
      ...item,
      name: 'Espresso cup XL',
      description: 'Bigger.',
      category: 'cups',
      price_cents: 1500,
      tags: ['xl'],
      version: 2,
      updated_at: expect.any(String),
    });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(item.updated_at));
    expect(res.body.created_at).toBe(item.created_at);

    const fetched = await items.get(item.id);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.etag).toBe('"2"');
    expect(fetched.body).toEqual(res.body);
  });

  it('a write is visible to the next read whatever the case of the id in either request', async () => {
    // UUIDs are case-insensitive (RFC 9562 §4): the same item under another spelling of its id.
    const item = await items.make();
    const upper = item.id.toUpperCase();
    await items.get(upper);
    await items.get(item.id);
    expect((await items.put(item.id, replacement)).status).toBe(200);
    expect((await items.get(upper)).body.version).toBe(2);
    expect((await items.patch(upper, { price_cents: 1 })).status).toBe(200);
    expect((await items.get(item.id)).body.version).toBe(3);
    expect((await items.get(upper)).body.version).toBe(3);
  });

  it('resets omitted optional fields to their defaults', async () => {
    const item = await items.make({ description: 'something', tags: ['a', 'b'] });
    const res = await items.put(item.id, sample({ name: 'Plain' }));
    expect(res.body).toMatchObject({ name: 'Plain', description: '', tags: [], version: 2 });
  });

  it('validates the body like createItem', async () => {
    const item = await items.make();
    const res = await items.put(item.id, { name: 'x', colour: 'red' });
    expect(res.status).toBe(400);
    expect(pointers(res)).toEqual(['/category', '/colour', '/price_cents']);
    expect((await items.get(item.id)).body.version).toBe(1);
  });

  it('answers 404 for an unknown id, with or without If-Match', async () => {
    for (const ifMatch of [undefined, '"1"', '*', 'W/"1"', 'garbage']) {
      const res = await items.put(UNKNOWN_ID, sample(), ifMatch);
      expect([ifMatch, res.status]).toEqual([ifMatch, 404]);
    }
  });
});

describe('updateItem (merge patch)', () => {
  it('changes only the given fields, bumps the version and the ETag; the next GET shows it', async () => {
    const item = await items.make({ description: 'Porcelain.', tags: ['porcelain'] });
    await items.get(item.id);
    const res = await items.patch(item.id, { price_cents: 990, name: '  Sale cup ' });
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('"2"');
    expect(res.body).toEqual({
      ...item,
      name: 'Sale cup',
      price_cents: 990,
      version: 2,
      updated_at: expect.any(String),
    });
    const fetched = await items.get(item.id);
    expect(fetched.headers.etag).toBe('"2"');
    expect(fetched.body).toEqual(res.body);
  });

  it('null resets description to "" and tags to []', async () => {
    const item = await items.make({ description: 'Porcelain.', tags: ['porcelain', 'coffee'] });
    const res = await items.patch(item.id, { description: null, tags: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      description: '',
      tags: [],
      name: item.name,
      category: item.category,
      price_cents: item.price_cents,
      version: 2,
    });
  });

  it('replaces arrays as a whole', async () => {
    const item = await items.make({ tags: ['a', 'b'] });
    expect((await items.patch(item.id, { tags: ['c'] })).body.tags).toEqual(['c']);
  });

  it('an empty patch changes nothing: 200, same version, same ETag', async () => {
    const item = await items.make();
    const res = await items.patch(item.id, {});
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('"1"');
    expect(res.body).toEqual(item);
    expect((await items.get(item.id)).body).toEqual(item);
  });

  it('an empty patch still honours If-Match and answers 404 for an unknown id', async () => {
    const item = await items.make();
    expect((await items.patch(item.id, {}, '"1"')).status).toBe(200);
    const stale = await items.patch(item.id, {}, '"7"');
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('precondition_failed');
    expect((await items.patch(UNKNOWN_ID, {}, '"1"')).status).toBe(404);
    expect((await items.patch(UNKNOWN_ID, {})).status).toBe(404);
  });

  it('null is refused where the field cannot be reset; unknown fields are refused', async () => {
    const item = await items.make();
    const res = await items.patch(item.id, { name: null, price_cents: null, category: null, colour: 'red' });
    expect(res.status).toBe(400);
    expect([...new Set(pointers(res))]).toEqual(['/category', '/colour', '/name', '/price_cents']);
    expect((await items.patch(item.id, { name: '   ' })).status).toBe(400);
    expect((await items.get(item.id)).body.version).toBe(1);
  });

  it('takes application/merge-patch+json only', async () => {
    const item = await items.make();
    const res = await ctx.api.request('PATCH', `/v1/items/${item.id}`, { token: ctx.writer, json: { price_cents: 1 } });
    expect(res.status).toBe(415);
  });
});

describe('If-Match', () => {
  const writes = {
    put: (id: string, ifMatch?: string) => items.put(id, replacement, ifMatch),
    patch: (id: string, ifMatch?: string) => items.patch(id, { price_cents: 777 }, ifMatch),
  };

  describe.each(Object.keys(writes) as (keyof typeof writes)[])('%s', (method) => {
    const write = writes[method];

    it('the current ETag: 200 with the next one', async () => {
      const item = await items.make();
      const res = await write(item.id, '"1"');
      expect(res.status).toBe(200);
      expect(res.headers.etag).toBe('"2"');
      const again = await write(item.id, res.headers.etag);
      expect(again.status).toBe(200);
      expect(again.headers.etag).toBe('"3"');
    });

    it('a stale ETag: 412 and nothing changes', async () => {
      const item = await items.make();
      await write(item.id);
      const res = await write(item.id, '"1"');
      expect(res.status).toBe(412);
      expect(res.body.code).toBe('precondition_failed');
      expect(res.body.detail).toMatch(/version 2/);
      const fetched = await items.get(item.id);
      expect(fetched.body.version).toBe(2);
      expect(fetched.headers.etag).toBe('"2"');
    });

    it('a list naming the current ETag matches', async () => {
      const item = await items.make();
      expect((await write(item.id, '"5", "1"')).status).toBe(200);
      expect((await write(item.id, 'W/"1","2"')).status).toBe(200);
    });

    it('* matches any existing item', async () => {
      const item = await items.make();
      await write(item.id);
      const res = await write(item.id, '*');
      expect(res.status).toBe(200);
      expect(res.body.version).toBe(3);
      expect((await write(UNKNOWN_ID, '*')).status).toBe(404);
    });

    it('weak tags never match (strong comparison), nor garbage or other forms of the version', async () => {
      const item = await items.make();
      for (const ifMatch of [
        'W/"1"',
        'W/"1", W/"2"',
        '1',
        'garbage',
        '""',
        '"01"',
        '" 1"',
        '"1',
        '',
        '"99999999999999999999"',
      ]) {
        const res = await write(item.id, ifMatch);
        expect([ifMatch, res.status]).toEqual([ifMatch, 412]);
      }
      const fetched = await items.get(item.id);
      expect(fetched.body).toEqual(item);
    });

    it('404 wins over 412 for an unknown id', async () => {
      expect((await write(UNKNOWN_ID, '"1"')).status).toBe(404);
      expect((await write(UNKNOWN_ID, 'W/"1"')).status).toBe(404);
    });

    it('lost update: two clients read version 1 and both write with If-Match "1": one wins, the other gets 412', async () => {
      const item = await items.make();
      const [a, b] = await Promise.all([items.get(item.id), items.get(item.id)]);
      expect([a!.headers.etag, b!.headers.etag]).toEqual(['"1"', '"1"']);
      const results = await Promise.all([
        items.put(item.id, { ...replacement, name: 'client A' }, a!.headers.etag),
        method === 'put'
          ? items.put(item.id, { ...replacement, name: 'client B' }, b!.headers.etag)
          : items.patch(item.id, { name: 'client B' }, b!.headers.etag),
      ]);
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 412]);
      const winner = results.find((r) => r.status === 200)!;
      const fetched = await items.get(item.id);
      expect(fetched.body.version).toBe(2);
      expect(fetched.body.name).toBe(winner.body.name);
    });
  });

  it('a sequence of conditional writes, each based on the previous ETag', async () => {
    const item = await items.make();
    let etag = '"1"';
    for (let i = 0; i < 5; i++) {
      const res = await items.patch(item.id, { price_cents: i }, etag);
      expect(res.status).toBe(200);
      etag = res.headers.etag!;
    }
    expect(etag).toBe('"6"');
    const fetched = await items.get(item.id);
    expect(fetched.headers.etag).toBe('"6"');
    expect(fetched.body.price_cents).toBe(4);
  });
});
