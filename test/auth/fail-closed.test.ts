/**
 * Fail closed, proved over every operation of the document: no token, a bad token, or an
 * unreachable Redis never reaches a protected handler.
 */
import { loadDocument } from '../../src/pipeline/compile/document';
import { compileOperations } from '../../src/pipeline/compile/operations';
import { startTestApp, type TestApp } from '../support/app';
import { challengeOf, noCredentialsChallenge } from '../support/challenges';
import { client } from '../support/contract';
import { startRedis } from '../support/redis-server';

const operations = compileOperations(loadDocument());
const isProtected = (op: (typeof operations)[number]) =>
  op.security.length > 0 && !op.security.some((r) => Object.keys(r).length === 0);
const protectedOps = operations.filter(isProtected);
const publicOps = operations.filter((op) => !isProtected(op));
/** A concrete URL for an operation: path parameters filled with a syntactically plausible value. */
const urlOf = (path: string) => path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');

let t: TestApp;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  // DEBUG SLEEP (to simulate a hung Redis) needs the debug command enabled (off by default in 7.x).
  t = await startTestApp({ redisServer: await startRedis({ password: 'p', args: ['--enable-debug-command', 'yes'] }) });
  api = client(t.url);
  await t.createUser('frank', 'frank-password-1', ['items:read', 'items:write', 'users:admin', 'tokens:introspect']);
  await t.createUser('scopeless', 'scopeless-password-1', []);
});

/** The scopes each oauth2 requirement of an operation needs (other schemes take no access token). */
const scopesOf = (op: (typeof operations)[number]) => op.security.filter((r) => 'oauth2' in r).map((r) => r.oauth2!);
afterAll(async () => {
  await t.stop();
  await t.redisServer.stop();
});

it('the document has protected and public operations (the walk below is not empty)', () => {
  expect(protectedOps.length).toBeGreaterThanOrEqual(2);
  expect(publicOps.map((o) => o.operationId)).toEqual(expect.arrayContaining(['issueToken', 'getHealth']));
});

describe.each(protectedOps.map((op) => [`${op.method} ${op.path}`, op] as const))('%s', (_name, op) => {
  it('answers 401 with a Bearer challenge without a token', async () => {
    const res = await api.request(op.method, urlOf(op.path));
    expect(res.status).toBe(401);
    expect(challengeOf(res.headers['www-authenticate'], 'Bearer')).toEqual(noCredentialsChallenge(t.config.publicUrl));
  });

  it('answers 401 invalid_token with a garbage or foreign token', async () => {
    for (const token of ['garbage', 'eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo']) {
      const res = await api.request(op.method, urlOf(op.path), { token });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    }
  });
});

describe.each(protectedOps.map((op) => [`${op.method} ${op.path}`, op] as const))('%s, scopes', (_name, op) => {
  const needsScope = scopesOf(op).every((scopes) => scopes.length > 0);

  it(
    needsScope ? 'answers 403 naming the scope to a token without it' : 'needs no scope: any live token passes',
    async () => {
      const token = await api.login('scopeless', 'scopeless-password-1');
      const res = await api.request(op.method, urlOf(op.path), { token });
      if (needsScope) {
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('insufficient_scope');
        expect(challengeOf(res.headers['www-authenticate'], 'Bearer')).toEqual({
          ...noCredentialsChallenge(t.config.publicUrl),
          error: 'insufficient_scope',
          scope: scopesOf(op)[0]!.join(' '),
        });
      } else {
        expect([401, 403]).not.toContain(res.status);
      }
    },
  );

  it('lets a token with the scope through authentication and authorization', async () => {
    const token = await api.login('frank', 'frank-password-1');
    const res = await api.request(op.method, urlOf(op.path), { token });
    expect([401, 403]).not.toContain(res.status);
  });
});

describe.each(publicOps.map((op) => [`${op.method} ${op.path}`, op] as const))('%s', (_name, op) => {
  it('never asks for credentials', async () => {
    const res = await api.request(op.method, urlOf(op.path));
    expect(res.status).not.toBe(401);
    expect(res.status).not.toBe(403);
  });
});

describe('when Redis is unreachable', () => {
  it('answers every protected operation 503 with Retry-After, even with a token issued before', async () => {
    const token = await api.login('frank', 'frank-password-1');
    await t.redisServer.kill();
    try {
      for (const op of protectedOps) {
        const res = await api.request(op.method, urlOf(op.path), { token });
        expect([op.operationId, res.status]).toEqual([op.operationId, 503]);
        expect(res.headers['retry-after']).toBe('5');
        if (op.errorFormat === 'oauth') expect(res.body.error).toBe('temporarily_unavailable');
        else expect(res.body.code).toBe('unavailable');
      }
    } finally {
      await t.redisServer.restart();
    }
  });

  it('answers 503 on a Redis that hangs instead of refusing (command timeout)', async () => {
    let token = '';
    for (let i = 0; i < 40 && !token; i++) {
      token = await api.login('frank', 'frank-password-1').catch(() => '');
      if (!token) await new Promise((r) => setTimeout(r, 100));
    }
    // DEBUG SLEEP blocks the server: connections stay open but nothing answers.
    const blocker = t.redis.duplicate();
    await blocker.connect();
    void blocker.call('DEBUG', 'SLEEP', '3').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const res = await api.get('/me', { token });
    expect(res.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(2900);
    blocker.disconnect();
  });
});
