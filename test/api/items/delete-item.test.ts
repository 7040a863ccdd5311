/**
 * DELETE /v1/items/{itemId} (deleteItem): 204 then 404; If-Match like the other writes.
 */
import { type ItemsContext, itemsApi, sample, startItemsApp, UNKNOWN_ID } from './items-support';

let ctx: ItemsContext;
let items: ReturnType<typeof itemsApi>;

beforeAll(async () => {
  ctx = await startItemsApp();
  items = itemsApi(ctx);
});
afterAll(() => ctx.t.stop());

describe('deleteItem', () => {
  it('answers 204 without a body; afterwards the item is gone everywhere', async () => {
    const item = await items.make({ category: 'doomed' });
    await items.get(item.id);
    await items.list('category=doomed');
    const res = await items.del(item.id);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');

    expect((await items.get(item.id)).status).toBe(404);
    expect((await items.list('category=doomed')).body.items).toEqual([]);
    expect((await items.del(item.id)).status).toBe(404);
    expect((await items.put(item.id, sample())).status).toBe(404);
    expect((await items.patch(item.id, { price_cents: 1 })).status).toBe(404);
  });

  it('answers 404 for an unknown id, whatever If-Match says', async () => {
    for (const ifMatch of [undefined, '"1"', '*', 'W/"1"']) {
      const res = await items.del(UNKNOWN_ID, ifMatch);
      expect([ifMatch, res.status]).toEqual([ifMatch, 404]);
      expect(res.body.code).toBe('not_found');
    }
  });

  it('with a stale If-Match: 412 and the item stays', async () => {
    const item = await items.make();
    await items.patch(item.id, { price_cents: 5 });
    const res = await items.del(item.id, '"1"');
    expect(res.status).toBe(412);
    expect(res.body.code).toBe('precondition_failed');
    const fetched = await items.get(item.id);
    expect(fetched.status).toBe(200);
    expect(fetched.body.version).toBe(2);
  });

  it('with a weak If-Match: 412', async () => {
    const item = await items.make();
    expect((await items.del(item.id, 'W/"1"')).status).toBe(412);
    expect((await items.get(item.id)).status).toBe(200);
  });

  it('with the current ETag or *: 204', async () => {
    const a = await items.make();
    const b = await items.make();
    expect((await items.del(a.id, '"1"')).status).toBe(204);
    expect((await items.del(b.id, '*')).status).toBe(204);
    expect((await items.get(a.id)).status).toBe(404);
    expect((await items.get(b.id)).status).toBe(404);
  });

  it('two concurrent deletes: one 204, the other 404', async () => {
    const item = await items.make();
    const statuses = (await Promise.all([items.del(item.id), items.del(item.id)])).map((r) => r.status).sort();
    expect(statuses).toEqual([204, 404]);
  });
});
