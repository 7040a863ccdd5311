/**
 * Entry keys: the SHA-256 of the normalised request, remembered for short requests within a bound
 * that no sequence of requests can grow past.
 */
import { createHash } from 'node:crypto';
import { ENTRY_KEY_MEMO_SIZE, EntryKeys } from '../../src/cache/entry-keys';

const expected = (operationId: string, material: unknown[]) =>
  `cache:${operationId}:${createHash('sha256').update(JSON.stringify(material)).digest('base64url').slice(0, 32)}`;

it('is the SHA-256 of the request, the same when remembered as when first computed', () => {
  const keys = new EntryKeys();
  const material = ['getItem', { itemId: '0b5c…' }, {}];
  const first = keys.of('getItem', material);
  expect(first).toBe(expected('getItem', material));
  expect(keys.of('getItem', [...material])).toBe(first);
  expect(keys.size).toBe(1);
});

it('gives two users of a private read two keys', () => {
  const keys = new EntryKeys();
  const a = keys.of('getMe', ['getMe', {}, {}, 'user-a']);
  const b = keys.of('getMe', ['getMe', {}, {}, 'user-b']);
  expect(a).not.toBe(b);
  expect(keys.of('getMe', ['getMe', {}, {}, 'user-a'])).toBe(a);
});

it(`never remembers more than ${ENTRY_KEY_MEMO_SIZE} keys, however many requests differ`, () => {
  const keys = new EntryKeys();
  let largest = 0;
  for (let i = 0; i < 3 * ENTRY_KEY_MEMO_SIZE; i++) {
    const material = ['listItems', {}, { cursor: `c${i}` }];
    expect(keys.of('listItems', material)).toBe(expected('listItems', material));
    largest = Math.max(largest, keys.size);
  }
  expect(largest).toBe(ENTRY_KEY_MEMO_SIZE);
});

it('hashes a long request every time instead of remembering it', () => {
  const keys = new EntryKeys();
  const material = ['listItems', {}, { q: 'x'.repeat(2000) }];
  expect(keys.of('listItems', material)).toBe(expected('listItems', material));
  expect(keys.size).toBe(0);
});
