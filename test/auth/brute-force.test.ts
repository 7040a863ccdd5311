/**
 * The token endpoint cannot be brute-forced or used to discover accounts (RFC 6749 §4.3.2 "MUST
 * protect the endpoint against brute force attacks"; ASVS 5.0 6.1.1, 6.3.1).
 */
import { client } from '../support/contract';
import { startTestApp, type TestApp } from '../support/app';

let t: TestApp;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  t = await startTestApp({ env: { LOGIN_MAX_FAILURES_PER_USER: '5', LOGIN_MAX_FAILURES_PER_IP: '12', TRUST_PROXY: '0' } });
  api = client(t.url);
  for (const name of ['zoe', 'zack', 'zara']) await t.createUser(name, `${name}-password-1`, []);
});
afterAll(() => t.stop());

const attempt = (username: string, password: string, headers: Record<string, string> = {}) =>
  api.post('/token', { form: { grant_type: 'password', username, password }, headers });

describe('per-username limit', () => {
  it('answers 429 with Retry-After and no-store after the limit, even for the right password', async () => {
    for (let i = 0; i < 5; i++) expect((await attempt('zoe', `guess-${i}-zoe`)).status).toBe(400);
    const limited = await attempt('zoe', 'zoe-password-1');
    expect(limited.status).toBe(429);
    expect(limited.body.error).toBe('invalid_request');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(800);
    expect(limited.headers['cache-control']).toBe('no-store');
    expect(limited.headers.pragma).toBe('no-cache');
    // The normalised username shares the counter.
    expect((await attempt(' ZOE ', 'zoe-password-1')).status).toBe(429);
    await t.redis.del('rl:login:ip:127.0.0.1');
  });

  it('counts unknown usernames exactly like real ones', async () => {
    for (let i = 0; i < 5; i++) expect((await attempt('no-such-user', `guess-${i}`)).status).toBe(400);
    expect((await attempt('no-such-user', 'anything')).status).toBe(429);
    await t.redis.del('rl:login:ip:127.0.0.1');
  });

  it('resets the username counter on success', async () => {
    for (let i = 0; i < 4; i++) await attempt('zack', `guess-${i}-zack`);
    expect((await attempt('zack', 'zack-password-1')).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await attempt('zack', `again-${i}-zack`)).status).toBe(400);
    expect((await attempt('zack', 'zack-password-1')).status).toBe(200);
    await t.redis.del('rl:login:ip:127.0.0.1');
  });
});

describe('per-address limit', () => {
  it('stops one address spraying many usernames; a spoofed X-Forwarded-For does not escape it (TRUST_PROXY=0)', async () => {
    for (let i = 0; i < 12; i++) {
      const res = await attempt(`spray-${i}`, 'Password1!', { 'x-forwarded-for': `198.51.100.${i}` });
      expect(res.status).toBe(400);
    }
    const limited = await attempt('zara', 'zara-password-1', { 'x-forwarded-for': '203.0.113.99' });
    expect(limited.status).toBe(429);
    await t.redis.del('rl:login:ip:127.0.0.1');
    expect((await attempt('zara', 'zara-password-1')).status).toBe(200);
  });
});

describe('when the limiter cannot be reached', () => {
  it('fails closed with 503', async () => {
    await t.redisServer.kill();
    try {
      const res = await attempt('zara', 'zara-password-1');
      expect(res.status).toBe(503);
      expect(res.body.error).toBe('temporarily_unavailable');
    } finally {
      await t.redisServer.restart();
    }
  });
});
