/**
 * The client IP comes from TRUST_PROXY as a hop count: with 0, a spoofed X-Forwarded-For is
 * ignored; with 1, the address the one trusted proxy saw is used.
 */

import type { Database } from '../../src/store/database';
import { startTestApp } from '../support/app';
import { client } from '../support/contract';
import { openTestPglite } from '../support/pglite-snapshot';

async function loggedIpOfFailedLogin(trustProxy: string, db: Database): Promise<string> {
  const t = await startTestApp({ env: { TRUST_PROXY: trustProxy }, db });
  try {
    await client(t.url).post('/token', {
      form: { grant_type: 'password', username: 'nobody', password: 'whatever-1' },
      headers: { 'x-forwarded-for': '203.0.113.7, 198.51.100.9' },
    });
    const line = t.logs
      .map((l) => JSON.parse(l) as { msg: string; ip?: string })
      .find((l) => l.msg === 'token request refused');
    return line!.ip!;
  } finally {
    await t.stop();
  }
}

it('ignores X-Forwarded-For unless a proxy hop is trusted', async () => {
  const db = await openTestPglite();
  try {
    expect(await loggedIpOfFailedLogin('0', db)).toBe('127.0.0.1');
    expect(await loggedIpOfFailedLogin('1', db)).toBe('198.51.100.9');
    expect(await loggedIpOfFailedLogin('2', db)).toBe('203.0.113.7');
  } finally {
    await db.close();
  }
}, 60_000);

it('counts every spelling of one forwarded address, with or without a port, in one login-limit bucket', async () => {
  const t = await startTestApp({ env: { TRUST_PROXY: '1', LOGIN_MAX_FAILURES_PER_USER_IP: '3' } });
  try {
    const attempt = (forwardedFor: string) =>
      client(t.url).post('/token', {
        form: { grant_type: 'password', username: 'nobody', password: 'whatever-1' },
        headers: { 'x-forwarded-for': forwardedFor },
      });
    // A proxy that appends the client's port gives each connection a new port: still one client.
    for (const spelling of ['203.0.113.9:51000', '203.0.113.9:51001', '0203.0.113.9'])
      expect((await attempt(spelling)).status).toBe(400);
    expect((await attempt('[::ffff:203.0.113.9]:443')).status).toBe(429);
    for (const spelling of ['[2001:db8::1]:443', '[2001:db8::1]:444', '2001:db8::1'])
      expect((await attempt(spelling)).status).toBe(400);
    expect((await attempt('[2001:db8::2]:443')).status).toBe(429);
    // What is no address at all shares one bucket, not one per spelling.
    for (const spelling of ['garbage', 'unknown', '1.2.3']) expect((await attempt(spelling)).status).toBe(400);
    expect((await attempt('nonsense')).status).toBe(429);
    const logged = t.logs
      .map((l) => JSON.parse(l) as { msg: string; ip?: string })
      .filter((l) => l.msg === 'token request refused')
      .map((l) => l.ip);
    expect(logged.slice(0, 3)).toEqual(['203.0.113.9', '203.0.113.9', '203.0.113.9']);
    expect(logged.slice(3, 6)).toEqual(['2001:db8::1', '2001:db8::1', '2001:db8::1']);
  } finally {
    await t.stop();
  }
}, 60_000);
