/**
 * GET /v1/items/{itemId} (getItem): the item with its version as a strong ETag; 404 and 400.
 */
import { type ItemsContext, itemsApi, pointers, startItemsApp, UNKNOWN_ID } from './items-support';

let ctx: ItemsContext;
let items: ReturnType<typeof itemsApi>;

beforeAll(async () => {
  ctx = await startItemsApp();
  items = itemsApi(ctx);
});
afterAll(() => ctx.t.stop());

describe('getItem', () => {
  it('answers 200 with the item and ETag "1"', async () => {
    const item = await items.make({ name: 'Milk jug', tags: ['steel'] });
    const res = await items.get(item.id);
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('"1"');
    expect(res.body).toEqual(item);
  });

  it('the ETag follows the version', async () => {
    const item = await items.make();
    await items.patch(item.id, { price_cents: 1 });
    await items.patch(item.id, { price_cents: 2 });
    const res = await items.get(item.id);
    expect(res.body.version).toBe(3);
    expect(res.headers.etag).toBe('"3"');
  });

  it('answers 404 for an unknown id', async () => {
    const res = await items.get(UNKNOWN_ID);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
  });

  it('answers 400 for an id that is not a UUID', async () => {
    for (const id of ['42', 'not-a-uuid', `${UNKNOWN_ID}x`]) {
      const res = await items.get(id);
      expect([id, res.status]).toEqual([id, 400]);
      expect(pointers(res)).toEqual(['/itemId']);
      expect(res.body.errors[0].in).toBe('path');
    }
  });

  it('finds an item whatever the case of its id', async () => {
    const item = await items.make();
    const res = await items.get(item.id.toUpperCase());
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(item.id);
  });
});
