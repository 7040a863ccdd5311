/**
 * The pure parts of the items handlers: If-Match parsing (RFC 9110 §13.1.1, strong comparison)
 * and the opaque cursor format.
 */
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

  it('round-trip, as URL-safe text', () => {
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor.length).toBeLessThanOrEqual(200); // the document's maxLength
    expect(decodeCursor(cursor)).toEqual(position);
  });

  it('anything else decodes to undefined', () => {
    const enc = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
    for (const cursor of [
      '',
      '!!!',
      enc('nope'),
      enc({ createdAt: position.createdAt, id: position.id }),
      enc([position.createdAt]),
      enc([position.createdAt, position.id, 1]),
      enc(['2031-05-06 07:08:09.123456+00', position.id]),
      enc(['2031-13-06T07:08:09.123456Z', position.id]),
      enc(['2031-05-06T07:08:60.123456Z', position.id]),
      enc([position.createdAt, position.id.toUpperCase()]),
      enc([position.createdAt, `{${position.id}}`]),
      `${encodeCursor(position)}==`,
      encodeCursor(position).slice(0, -1),
    ]) {
      expect([cursor, decodeCursor(cursor)]).toEqual([cursor, undefined]);
    }
  });
});
