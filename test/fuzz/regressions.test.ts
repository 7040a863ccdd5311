/**
 * Deterministic regression tests for bugs the fuzzing found (see fuzz-harness.ts).
 *
 * U+0000 in item text or in a login username: PostgreSQL text cannot carry the NUL character
 * (SQLSTATE 22021, "invalid byte sequence for encoding UTF8: 0x00"), and the document's string
 * schemas do not exclude it, so these requests passed validation and failed in the database
 * with a 500. The pipeline now refuses U+0000 in any request string (body, query, path) with a 400
 * validation_failed naming each place, for every operation (RFC 6749 invalid_request on /token).
 */

import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';

let t: TestApp;
let api: ReturnType<typeof client>;
let writer: string;

beforeAll(async () => {
  t = await startTestApp();
  api = client(t.url);
  await t.createUser('nul-writer', 'nul-writer-passphrase', ['items:read', 'items:write']);
  writer = await api.login('nul-writer', 'nul-writer-passphrase');
});
afterAll(() => t.stop());

const item = { name: 'Espresso cup', category: 'kitchen', price_cents: 1250 };

describe('U+0000 in item text', () => {
  it('createItem: 400 naming each field, not 500', async () => {
    const res = await api.post('/v1/items', {
      token: writer,
      json: { ...item, name: 'cup\u0000', description: '\u0000' },
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/description', '/name']);
  });

  it('replaceItem and updateItem: 400, and the item is unchanged', async () => {
    const created = await api.post('/v1/items', { token: writer, json: item });
    expect(created.status).toBe(201);
    const url = `/v1/items/${created.body.id}`;
    const put = await api.request('PUT', url, { token: writer, json: { ...item, description: 'a\u0000b' } });
    expect(put.status).toBe(400);
    expect(put.body.errors).toEqual([
      { in: 'body', pointer: '/description', message: expect.stringContaining('U+0000') },
    ]);
    const patch = await api.request('PATCH', url, {
      token: writer,
      body: JSON.stringify({ description: '\u0000' }),
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(patch.status).toBe(400);
    expect(patch.body.errors[0].pointer).toBe('/description');
    const after = await api.get(url, { token: writer });
    expect(after.body).toMatchObject({ version: 1, description: '' });
  });

  it('still takes other control and non-BMP characters', async () => {
    const res = await api.post('/v1/items', {
      token: writer,
      json: { ...item, description: '\u0001\u2028\ufeff\u{1F600}' },
    });
    expect(res.status).toBe(201);
    expect(res.body.description).toBe('\u0001\u2028\ufeff\u{1F600}');
  });
});

describe('U+0000 in a login username', () => {
  it('issueToken: 400 invalid_request in OAuth format, not 500', async () => {
    const res = await api.post('/token', {
      form: { grant_type: 'password', username: 'nul-writer\u0000', password: 'nul-writer-passphrase' },
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.error).toBe('invalid_request');
  });
});

describe('U+0000 in a query parameter', () => {
  it('listItems: 400 naming the parameter, not 500', async () => {
    const res = await api.get('/v1/items?category=kitchen%00', { token: writer });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([{ in: 'query', pointer: '/category', message: expect.stringContaining('U+0000') }]),
    );
  });
});
