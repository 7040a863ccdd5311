/**
 * GET /v1/categories (listCategories): every category that has items, with its count, by name;
 * kept current by every write.
 */
import { type ItemsContext, itemsApi, startItemsApp } from './items-support';

let ctx: ItemsContext;
let items: ReturnType<typeof itemsApi>;

beforeAll(async () => {
  ctx = await startItemsApp();
  items = itemsApi(ctx);
});
afterAll(() => ctx.t.stop());

const categories = async () => {
  const res = await items.categories();
  expect(res.status).toBe(200);
  return res.body.categories as { name: string; item_count: number }[];
};

describe('listCategories', () => {
  it('is empty without items', async () => {
    expect(await categories()).toEqual([]);
  });

  it('counts the items of each category, ordered by name (bytewise: "-" < digits < letters)', async () => {
    for (const category of ['kitchen', 'a-b', 'ab', 'kitchen', 'a0', 'b', 'kitchen', '9lives', 'ab'])
      await items.make({ category });
    expect(await categories()).toEqual([
      { name: '9lives', item_count: 1 },
      { name: 'a-b', item_count: 1 },
      { name: 'a0', item_count: 1 },
      { name: 'ab', item_count: 2 },
      { name: 'b', item_count: 1 },
      { name: 'kitchen', item_count: 3 },
    ]);
  });

  it('follows deletes, replaces and patches on the next read', async () => {
    const before = await categories();
    const count = (list: { name: string; item_count: number }[], name: string) =>
      list.find((c) => c.name === name)?.item_count ?? 0;

    const a = await items.make({ category: 'garden' });
    const b = await items.make({ category: 'garden' });
    let now = await categories();
    expect(count(now, 'garden')).toBe(2);

    await items.patch(a.id, { category: 'shed' });
    now = await categories();
    expect([count(now, 'garden'), count(now, 'shed')]).toEqual([1, 1]);

    await items.put(b.id, { name: 'Rake', category: 'shed', price_cents: 900 });
    now = await categories();
    expect(now.find((c) => c.name === 'garden')).toBeUndefined(); // no items, no category
    expect(count(now, 'shed')).toBe(2);

    await items.del(a.id);
    await items.del(b.id);
    now = await categories();
    expect(now).toEqual(before);
  });
});
