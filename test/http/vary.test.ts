/**
 * Vary is merged, never overwritten (RFC 9110 §12.5.5): with CORS_ORIGINS set, an authenticated
 * answer varies on Origin (the cors middleware's) and Authorization (the caching stage's), on a
 * cached read (MISS, HIT and 304) and an uncached one, mounted on node:http or in express.
 */
import { mergeVary } from '../../src/http/vary';
import { startTestApp } from '../support/app';
import { client } from '../support/contract';

describe('mergeVary', () => {
  it('keeps each field name once, case-insensitively, in the order first seen', () => {
    expect(mergeVary('Origin', 'Authorization')).toBe('Origin, Authorization');
    expect(mergeVary('Origin', 'origin, Authorization', ['AUTHORIZATION', 'Accept'])).toBe(
      'Origin, Authorization, Accept',
    );
    expect(mergeVary(undefined, ' , Origin ,')).toBe('Origin');
  });

  it('lets * stand alone, whatever else is named', () => {
    expect(mergeVary('Origin', '*')).toBe('*');
    expect(mergeVary('Authorization, *', undefined)).toBe('*');
  });

  it('is undefined when nothing is named', () => {
    expect(mergeVary(undefined, '', ' , ')).toBeUndefined();
  });
});

describe.each(['node', 'express'] as const)('with CORS_ORIGINS, mounted on %s', (mount) => {
  it('an authenticated answer varies on both Origin and Authorization', async () => {
    const t = await startTestApp({ mount, env: { CORS_ORIGINS: 'https://app.example' } });
    try {
      const api = client(t.url);
      await t.createUser(`vary-${mount}`, 'vary-password-1', ['items:read']);
      const token = await api.login(`vary-${mount}`, 'vary-password-1');
      const headers = { origin: 'https://app.example' };
      const names = (value: unknown) =>
        String(value)
          .split(',')
          .map((n) => n.trim().toLowerCase())
          .sort();
      const me = await api.get('/me', { token, headers });
      expect(me.status).toBe(200);
      expect(names(me.headers.vary)).toEqual(['authorization', 'origin']);
      const miss = await api.get('/v1/items', { token, headers });
      const hit = await api.get('/v1/items', { token, headers });
      expect([miss.headers['x-cache'], hit.headers['x-cache']]).toEqual(['MISS', 'HIT']);
      expect(names(miss.headers.vary)).toEqual(['authorization', 'origin']);
      expect(names(hit.headers.vary)).toEqual(['authorization', 'origin']);
      const held = await api.get('/v1/items', {
        token,
        headers: { ...headers, 'if-none-match': String(hit.headers.etag) },
      });
      expect(held.status).toBe(304);
      expect(names(held.headers.vary)).toEqual(['authorization', 'origin']);
    } finally {
      await t.stop();
    }
  });
});
