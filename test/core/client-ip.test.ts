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
