/**
 * The one entity-tag list parser (RFC 9110 §8.8.3, §13.1.1-2): If-Match compares strongly, If-None-Match
 * weakly, and a comma inside a quoted opaque tag does not split the list.
 */
import { noneMatchHits, parseEntityTags } from '../../src/http/conditional';

describe('parseEntityTags', () => {
  it('reads `*` as any representation', () => {
    expect(parseEntityTags(' * ')).toEqual({ any: true });
  });

  it('keeps weak and strong tags with their quotes, and a comma inside a tag', () => {
    expect(parseEntityTags('"a", W/"b" ,"c,d"')).toEqual({
      any: false,
      tags: [
        { weak: false, opaque: '"a"' },
        { weak: true, opaque: '"b"' },
        { weak: false, opaque: '"c,d"' },
      ],
    });
  });

  it('drops elements that are not entity tags, so garbage matches nothing', () => {
    expect(parseEntityTags('abc, "ok", w/"lower-w", "unterminated')).toEqual({
      any: false,
      tags: [{ weak: false, opaque: '"ok"' }],
    });
    expect(parseEntityTags(',, ,')).toEqual({ any: false, tags: [] });
  });
});

describe('noneMatchHits (If-None-Match, weak comparison)', () => {
  it('matches a tag with or without W/ on either side', () => {
    expect(noneMatchHits('W/"7"', '"7"')).toBe(true);
    expect(noneMatchHits('"7"', 'W/"7"')).toBe(true);
    expect(noneMatchHits('"6", "7"', '"7"')).toBe(true);
    expect(noneMatchHits('"6"', '"7"')).toBe(false);
  });

  it('does not split a tag that contains a comma (the old splitter did)', () => {
    expect(noneMatchHits('"x,y"', '"x,y"')).toBe(true);
    expect(noneMatchHits('"x,y"', '"x"')).toBe(false);
  });

  it('matches anything with `*`', () => {
    expect(noneMatchHits('*', '"anything"')).toBe(true);
  });
});
