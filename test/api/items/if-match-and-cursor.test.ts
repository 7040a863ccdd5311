/**
 * The pure parts of the items handlers: If-Match parsing (RFC 9110 §13.1.1, strong comparison)
 * and the authenticated cursor format.
 */
import { randomBytes } from 'node:crypto';
import { CursorSeal } from '../../../src/api/cursor';
import { decodeCursor, encodeCursor, itemEtag, parseIfMatch } from '../../../src/api/handlers/items.handlers';

describe('parseIfMatch', () => {
  it('absent or * means any current version', () => {
    expect(parseIfMatch(undefined)).toEqual({ kind: 'any' });
    expect(parseIfMatch('*')).toEqual({ kind: 'any' });
    expect(parseIfMatch('  *  ')).toEqual({ kind: 'any' });
  });

  it('reads the versions of strong tags in a list', () => {
    expect(parseIfMatch('"3"')).toEqual({ kind: 'versions', versions: [3], strongTags: ['"3"'] });
    expect(parseIfMatch(' "3" ,"4",  W/"5" , "x" ')).toEqual({
      kind: 'versions',
      versions: [3, 4],
      strongTags: ['"3"', '"4"', '"x"'],
    });
  });

  it('weak tags, garbage and non-canonical numbers name no version', () => {
    for (const value of [
      'W/"1"',
      'w/"1"',
      '1',
      'garbage',
      '',
      ' , ',
      '"01"',
      '"+1"',
      '"1.0"',
      '" 1"',
      '"1',
      '1"',
      '"0"',
      '"2147483648"',
      '"*"',
    ]) {
      const parsed = parseIfMatch(value);
      expect([value, parsed.kind === 'versions' ? parsed.versions : 'any']).toEqual([value, []]);
    }
    expect(parseIfMatch('"2147483647"')).toMatchObject({ versions: [2147483647] });
    // `*` is only meaningful alone; inside a list it is not an entity tag and is ignored.
    expect(parseIfMatch('*, "1"')).toMatchObject({ kind: 'versions', versions: [1] });
  });

  it('a comma inside a quoted tag does not split it', () => {
    expect(parseIfMatch('"a,b", "2"')).toEqual({ kind: 'versions', versions: [2], strongTags: ['"a,b"', '"2"'] });
  });

  it('the ETag it reads is the one the service issues', () => {
    expect(itemEtag(12)).toBe('"12"');
    expect(parseIfMatch(itemEtag(12))).toMatchObject({ versions: [12] });
  });
});

describe('cursors', () => {
  const position = { createdAt: '2031-05-06T07:08:09.123456Z', id: '3f1c7a4e-2b8d-4c1e-9a57-6d0e8b2f4a91' };
  const secret = randomBytes(48);
  const seal = new CursorSeal(secret);

  it('round-trip, as short URL-safe text, on any instance with the same secret', () => {
    const cursor = encodeCursor(seal, 'kitchen', position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(cursor.length).toBeLessThanOrEqual(200); // the document's maxLength
    expect(decodeCursor(seal, 'kitchen', cursor)).toEqual(position);
    expect(decodeCursor(new CursorSeal(secret), 'kitchen', cursor)).toEqual(position);
  });

  it('anything else decodes to undefined', () => {
    const enc = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
    const issued = encodeCursor(seal, 'kitchen', position);
    const [payload, tag] = issued.split('.') as [string, string];
    for (const cursor of [
      '',
      '!!!',
      '.',
      enc('nope'),
      enc([position.createdAt, position.id]),
      `${enc([position.createdAt, position.id, 1])}.${tag}`,
      `${payload}.`,
      `.${tag}`,
      `${payload}.${tag}.`,
      `${payload}.${tag}A`,
      `${payload}.${tag.slice(0, -1)}`,
      `${payload}A.${tag}`,
      `${payload}==.${tag}`,
      `${payload}.${tag}==`,
      encodeCursor(new CursorSeal(randomBytes(48)), 'kitchen', position),
    ]) {
      expect([cursor, decodeCursor(seal, 'kitchen', cursor)]).toEqual([cursor, undefined]);
    }
    // Valid only in the listing that issued it.
    expect(decodeCursor(seal, 'garden', issued)).toBeUndefined();
    expect(decodeCursor(seal, undefined, issued)).toBeUndefined();
  });

  it('a sealed value of the wrong shape is no position', () => {
    for (const value of [[position.createdAt], [position.createdAt, 'not-a-uuid'], { ...position }]) {
      expect(decodeCursor(seal, undefined, seal.seal(JSON.stringify(['listItems', null]), value))).toBeUndefined();
    }
  });
});
