/**
 * A problem document repeats at most a few hundred characters of what the client sent: a long
 * path (404, 405), a long property name (400 violations), a long If-Match tag (412) or a long
 * charset (415) come back cut, so an error answer stays small whatever the request's size.
 * Real server over a socket.
 */
import { cutEcho, MAX_ECHO_CHARS } from '../../src/core/echo';
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';

let t: TestApp;
let api: ReturnType<typeof client>;
let token: string;

beforeAll(async () => {
  t = await startTestApp();
  api = client(t.url);
  await t.createUser('echo-writer', 'echo-writer-password', ['items:read', 'items:write']);
  token = await api.login('echo-writer', 'echo-writer-password');
});
afterAll(() => t.stop());

const long = (n: number) => 'x'.repeat(n);

/** Every string in a problem document is within the echo limit, and the whole answer is small. */
function expectSmall(res: { text: string; body: any }) {
  expect(Buffer.byteLength(res.text)).toBeLessThan(2048);
  const strings: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') strings.push(v);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk(res.body);
  for (const s of strings) expect(s.length).toBeLessThanOrEqual(MAX_ECHO_CHARS);
}

it('cuts a 15 KB path in a 404 (detail and instance)', async () => {
  const path = `/${long(15_000)}`;
  const res = await api.get(path);
  expect(res.status).toBe(404);
  expect(res.body.code).toBe('not_found');
  expect(res.body.instance).toBe(cutEcho(path));
  expect(res.body.instance.endsWith('…')).toBe(true);
  expect(res.body.detail.startsWith(`No operation at /${long(100)}`)).toBe(true);
  expectSmall(res);
});

it('cuts a long path in a 405', async () => {
  const res = await api.request('POST', `/v1/items/${long(15_000)}`, { token, json: {} });
  expect(res.status).toBe(405);
  expectSmall(res);
});

it('cuts a long property name in a violation pointer', async () => {
  const json = { name: 'n', category: 'echo', price_cents: 1, [long(10_000)]: 1 };
  const res = await api.post('/v1/items', { token, json });
  expect(res.status).toBe(400);
  expect(res.body.errors).toEqual([{ in: 'body', pointer: cutEcho(`/${long(10_000)}`), message: 'is not allowed' }]);
  expectSmall(res);
});

it('cuts a long If-Match tag in a 412', async () => {
  const made = await api.post('/v1/items', { token, json: { name: 'n', category: 'echo', price_cents: 1 } });
  const res = await api.request('PUT', `/v1/items/${made.body.id}`, {
    token,
    json: { name: 'n', category: 'echo', price_cents: 2 },
    // Five tags of ~200 characters each: within If-Match's 1024, and all of them named in the detail.
    headers: { 'if-match': Array.from({ length: 5 }, (_, i) => `"${i}${long(190)}"`).join(',') },
  });
  expect(res.status).toBe(412);
  expectSmall(res);
});

it('cuts a long charset in a 415', async () => {
  const res = await api.request('POST', '/v1/items', {
    token,
    body: '{}',
    headers: { 'content-type': `application/json; charset=${long(10_000)}` },
  });
  expect(res.status).toBe(415);
  expectSmall(res);
});

describe('cutEcho', () => {
  it('keeps short text and never splits a surrogate pair', () => {
    expect(cutEcho('short')).toBe('short');
    expect(cutEcho('x'.repeat(MAX_ECHO_CHARS))).toBe('x'.repeat(MAX_ECHO_CHARS));
    const cut = cutEcho(`${'x'.repeat(MAX_ECHO_CHARS - 2)}😀😀`);
    expect(cut.length).toBeLessThanOrEqual(MAX_ECHO_CHARS);
    expect(cut.endsWith('…')).toBe(true);
    expect(Buffer.from(cut, 'utf8').toString('utf8')).toBe(cut);
    expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});
