/**
 * JSON bodies nesting deeper than MAX_JSON_DEPTH (64) are a 400 validation_failed, never a stack
 * overflow: `{"a":` 9000 times around "\u0000" used to crash the U+0000 check's recursion (500).
 */
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../src/http/json-depth';
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';

let t: TestApp;
let api: ReturnType<typeof client>;
let writer: string;

beforeAll(async () => {
  t = await startTestApp();
  api = client(t.url);
  await t.createUser('deep-writer', 'deep-writer-passphrase', ['items:read', 'items:write']);
  writer = await api.login('deep-writer', 'deep-writer-passphrase');
});
afterAll(() => t.stop());

const nested = (depth: number, open: string, inner: string, close: string) =>
  open.repeat(depth) + inner + close.repeat(depth);
const DEPTH_VIOLATION = { in: 'body', pointer: '', message: expect.stringContaining(String(MAX_JSON_DEPTH)) };

describe('the nesting limit over HTTP', () => {
  it('answers the reported body ({"a": x9000 around "\\u0000"}) with 400 validation_failed', async () => {
    const res = await api.post('/v1/items', {
      token: writer,
      body: nested(9000, '{"a":', '"\\u0000"', '}'),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.type).toBe('/docs#section/Errors/validation_failed');
    expect(res.body.errors).toEqual([DEPTH_VIOLATION]);
  });

  it('answers a deep array (30 000 levels, within the body limit) with 400 validation_failed', async () => {
    const res = await api.post('/v1/items', {
      token: writer,
      body: nested(30_000, '[', '', ']'),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([DEPTH_VIOLATION]);
  });

  it('answers merge-patch bodies the same way', async () => {
    const res = await api.request('PATCH', '/v1/items/00000000-0000-4000-8000-000000000000', {
      token: writer,
      body: nested(65, '{"description":', '"x"', '}'),
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([DEPTH_VIOLATION]);
  });

  it('still validates a body at the limit against its schema (no depth violation)', async () => {
    const res = await api.post('/v1/items', {
      token: writer,
      json: { name: 'n', category: 'c', price_cents: 1, extra: JSON.parse(nested(MAX_JSON_DEPTH - 1, '[', '', ']')) },
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors).not.toContainEqual(DEPTH_VIOLATION);
  });
});

describe('nestsDeeperThan', () => {
  const bytes = (s: string) => Buffer.from(s);
  it('counts objects and arrays alike, up to the limit inclusive', () => {
    expect(nestsDeeperThan(bytes(nested(64, '[', '1', ']')), 64)).toBe(false);
    expect(nestsDeeperThan(bytes(nested(65, '[', '1', ']')), 64)).toBe(true);
    expect(nestsDeeperThan(bytes(nested(32, '{"a":[', '1', ']}')), 64)).toBe(false);
    expect(nestsDeeperThan(bytes(nested(33, '{"a":[', '1', ']}')), 64)).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(nestsDeeperThan(bytes(JSON.stringify({ s: '['.repeat(500), t: `\\"{{{{${'{'.repeat(500)}` })), 2)).toBe(
      false,
    );
  });

  it('counts siblings by depth, not by number', () => {
    expect(nestsDeeperThan(bytes(JSON.stringify(Array.from({ length: 1000 }, () => [[1]]))), 3)).toBe(false);
  });
});
