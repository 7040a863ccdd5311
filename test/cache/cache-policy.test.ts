/**
 * x-cache / x-invalidates are read and checked at start-up; a bad declaration stops the service.
 */
import { compileCachePolicy } from '../../src/cache/cache-policy';
import { loadDocument } from '../../src/pipeline/compile/document';
import { compileOperations } from '../../src/pipeline/compile/operations';

const op = (method: string, raw: Record<string, unknown>, pathParams: string[] = ['itemId']) => ({
  operationId: 'op',
  method,
  raw,
  pathParams,
});

describe('compileCachePolicy', () => {
  it('fills tag templates from path parameters', () => {
    const p = compileCachePolicy(
      op('GET', { 'x-cache': { ttl: 60, scope: 'shared', tags: ['item:{itemId}', 'items'] } }),
    );
    expect(p.read!.tags.map((t) => t({ itemId: 'abc' }))).toEqual(['item:abc', 'items']);
    expect(p.read).toMatchObject({ ttlSeconds: 60, scope: 'shared' });
  });

  it('fills a template naming several parameters, between and around literal text', () => {
    const tags = ['{a}', 'x:{a}:{b}.y', '{b}{a}-z'];
    const p = compileCachePolicy(op('GET', { 'x-cache': { ttl: 5, scope: 'shared', tags } }, ['a', 'b']));
    expect(p.read!.tags.map((t) => t({ a: '1', b: 'two' }))).toEqual(['1', 'x:1:two.y', 'two1-z']);
  });

  it.each([
    ['a GET without x-cache', op('GET', {})],
    ['a write without x-invalidates', op('PUT', {})],
    ['a tag naming no path parameter', op('GET', { 'x-cache': { ttl: 60, scope: 'shared', tags: ['item:{id}'] } })],
    ['a bad scope', op('GET', { 'x-cache': { ttl: 60, scope: 'public', tags: ['a'] } })],
    ['a zero ttl', op('GET', { 'x-cache': { ttl: 0, scope: 'shared', tags: ['a'] } })],
    ['no tags', op('GET', { 'x-cache': { ttl: 5, scope: 'shared', tags: [] } })],
    ['x-cache on a write', op('POST', { 'x-cache': { ttl: 5, scope: 'shared', tags: ['a'] }, 'x-invalidates': [] })],
    ['x-invalidates not a list', op('DELETE', { 'x-invalidates': 'items' })],
  ])('refuses %s', (_name, input) => {
    expect(() => compileCachePolicy(input)).toThrow();
  });

  it("accepts every declaration of the project's document", () => {
    const ops = compileOperations(loadDocument());
    const policies = ops.map((o) =>
      compileCachePolicy({
        operationId: o.operationId,
        method: o.method,
        raw: o.raw,
        pathParams: o.parameters.path?.names ?? [],
      }),
    );
    expect(policies.filter((p) => p.read).length).toBeGreaterThanOrEqual(3);
  });
});
