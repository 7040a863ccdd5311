/**
 * One collector for the query string and form bodies: repeats become lists.
 */
import { multiValues } from '../../src/http/multi-values';

describe('multiValues', () => {
  it('collects repeated names into a list, in order', () => {
    expect(multiValues('tag=a&limit=5&tag=b&tag=c')).toEqual({ tag: ['a', 'b', 'c'], limit: '5' });
  });

  it('keeps empty values unless told to drop them (RFC 6749 §3.2 for OAuth forms)', () => {
    expect(multiValues('scope=&grant_type=password')).toEqual({ scope: '', grant_type: 'password' });
    expect(multiValues('scope=&grant_type=password', { dropEmpty: true })).toEqual({ grant_type: 'password' });
  });

  it('treats __proto__ as an ordinary name', () => {
    const out = multiValues('__proto__=x&__proto__=y&a=1');
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out).sort()).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual(['x', 'y']);
  });

  it('decodes percent-encoding and + as a space', () => {
    expect(multiValues('q=a%20b+c&e=%E2%82%AC')).toEqual({ q: 'a b c', e: '€' });
  });
});
