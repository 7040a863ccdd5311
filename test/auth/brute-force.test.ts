/**
 * The token endpoint cannot be brute-forced or used to discover accounts, and an attacker cannot
 * use its limits to lock an owner out (RFC 6749 §4.3.2 "MUST protect the endpoint against brute
 * force attacks"; ASVS 5.0 6.1.1, 6.3.1; OWASP Authentication Cheat Sheet). The client address
 * comes from X-Forwarded-For with TRUST_PROXY=1, so one test can play several addresses.
 */

import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';
import { startRedis } from '../support/redis-server';

let t: TestApp;
let api: ReturnType<typeof client>;

const LIMITS = {
  LOGIN_MAX_FAILURES_PER_USER_IP: '5',
  LOGIN_MAX_FAILURES_PER_IP: '12',
  LOGIN_MAX_FAILURES_PER_USER: '20',
};

beforeAll(async () => {
  // A server of its own: the outage case kills it.
  const redisServer = await startRedis({ password: 'brute-force-redis' });
  t = await startTestApp({ env: { ...LIMITS, TRUST_PROXY: '1' }, redisServer });
  api = client(t.url);
  for (const name of ['zoe', 'zack', 'zara', 'zed', 'zia']) await t.createUser(name, `${name}-password-1`, []);
});
afterAll(async () => {
  await t.stop();
  await t.redisServer.stop();
});

const attempt = (username: string, password: string, from: string) =>
  api.post('/token', { form: { grant_type: 'password', username, password }, headers: { 'x-forwarded-for': from } });

describe('per-username-and-address limit', () => {
  it('answers 429 with Retry-After, the RateLimit fields and no-store after the limit, even for the right password', async () => {
    for (let i = 0; i < 5; i++) expect((await attempt('zoe', `guess-${i}-zoe`, '198.51.100.1')).status).toBe(400);
    const limited = await attempt('zoe', 'zoe-password-1', '198.51.100.1');
    expect(limited.status).toBe(429);
    expect(limited.body.error).toBe('invalid_request');
    const retry = Number(limited.headers['retry-after']);
    expect(retry).toBeGreaterThan(800);
    expect(limited.headers['cache-control']).toBe('no-store');
    expect(limited.headers.pragma).toBe('no-cache');
    expect(limited.headers['ratelimit-policy']).toBe('"pair";q=5;w=900, "ip";q=12;w=900, "user";q=20;w=3600');
    expect(limited.headers.ratelimit).toMatch(
      new RegExp(`^"pair";r=0;t=${retry}, "ip";r=7;t=\\d+, "user";r=15;t=\\d+$`),
    );
    // The normalised username shares the counter.
    expect((await attempt(' ZOE ', 'zoe-password-1', '198.51.100.1')).status).toBe(429);
  });

  it("an attacker's exhausted address does not lock the owner out of the owner's address", async () => {
    for (let i = 0; i < 5; i++) await attempt('zack', `guess-${i}-zack`, '198.51.100.2');
    expect((await attempt('zack', 'zack-password-1', '198.51.100.2')).status).toBe(429);
    expect((await attempt('zack', 'zack-password-1', '192.0.2.2')).status).toBe(200);
  });

  it('counts unknown usernames exactly like real ones', async () => {
    for (let i = 0; i < 5; i++) expect((await attempt('no-such-user', `guess-${i}`, '198.51.100.3')).status).toBe(400);
    const limited = await attempt('no-such-user', 'anything', '198.51.100.3');
    expect(limited.status).toBe(429);
    expect(limited.headers['ratelimit-policy']).toBe('"pair";q=5;w=900, "ip";q=12;w=900, "user";q=20;w=3600');
  });

  it('a success clears the pair counter', async () => {
    for (let i = 0; i < 4; i++) await attempt('zara', `guess-${i}-zara`, '198.51.100.4');
    expect((await attempt('zara', 'zara-password-1', '198.51.100.4')).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await attempt('zara', `again-${i}-zara`, '198.51.100.4')).status).toBe(400);
    expect((await attempt('zara', 'zara-password-1', '198.51.100.4')).status).toBe(200);
  });
});

describe('per-address limit', () => {
  it('stops one address spraying many usernames; other addresses are not affected', async () => {
    for (let i = 0; i < 12; i++) expect((await attempt(`spray-${i}`, 'Password1!', '198.51.100.5')).status).toBe(400);
    const limited = await attempt('zed', 'zed-password-1', '198.51.100.5');
    expect(limited.status).toBe(429);
    expect(limited.headers.ratelimit).toMatch(/"ip";r=0;t=\d+/);
    expect((await attempt('zed', 'zed-password-1', '192.0.2.5')).status).toBe(200);
  });

  it('a spoofed X-Forwarded-For does not escape it when no proxy is trusted (TRUST_PROXY=0)', async () => {
    const direct = await startTestApp({ env: { ...LIMITS, TRUST_PROXY: '0' }, db: t.db, redisServer: t.redisServer });
    try {
      const directApi = client(direct.url);
      const send = (username: string, from: string) =>
        directApi.post('/token', {
          form: { grant_type: 'password', username, password: 'Password1!' },
          headers: { 'x-forwarded-for': from },
        });
      for (let i = 0; i < 12; i++) expect((await send(`spoof-${i}`, `203.0.113.${i}`)).status).toBe(400);
      expect((await send('spoof-12', '203.0.113.99')).status).toBe(429);
    } finally {
      await direct.stop();
    }
  });
});

describe('per-username ceiling', () => {
  it('slows a distributed attack without locking the owner out of a recently used address', async () => {
    // The owner logs in from home once; then 20 addresses guess once each (no pair or address limit trips).
    expect((await attempt('zia', 'zia-password-1', '192.0.2.6')).status).toBe(200);
    for (let i = 0; i < 20; i++) expect((await attempt('zia', `guess-${i}-zia`, `203.0.114.${i}`)).status).toBe(400);
    const fromNew = await attempt('zia', 'zia-password-1', '198.51.100.6');
    expect(fromNew.status).toBe(429);
    expect(fromNew.headers.ratelimit).toMatch(/"user";r=0;t=\d+$/);
    // Home is exempt from the ceiling and still logs in.
    expect((await attempt('zia', 'zia-password-1', '192.0.2.6')).status).toBe(200);
  });
});

describe('in a browser', () => {
  it('lets a page on an allowed origin read Retry-After and the RateLimit fields of a 429', async () => {
    const cors = await startTestApp({
      env: { ...LIMITS, TRUST_PROXY: '1', CORS_ORIGINS: 'https://app.example' },
      db: t.db,
      redisServer: t.redisServer,
    });
    try {
      const send = () =>
        client(cors.url).post('/token', {
          form: { grant_type: 'password', username: 'zed', password: 'not-it' },
          headers: { origin: 'https://app.example', 'x-forwarded-for': '198.51.100.8' },
        });
      for (let i = 0; i < 5; i++) expect((await send()).status).toBe(400);
      const limited = await send();
      expect(limited.status).toBe(429);
      const exposed = limited.headers['access-control-expose-headers']!.toLowerCase().split(/,\s*/);
      expect(exposed).toEqual(expect.arrayContaining(['retry-after', 'ratelimit-policy', 'ratelimit']));
    } finally {
      await cors.stop();
    }
  });
});

describe('when the limiter cannot be reached', () => {
  it('fails closed with 503', async () => {
    await t.redisServer.kill();
    try {
      const res = await attempt('zara', 'zara-password-1', '192.0.2.7');
      expect(res.status).toBe(503);
      expect(res.body.error).toBe('temporarily_unavailable');
    } finally {
      await t.redisServer.restart();
    }
  });
});
