/**
 * `npm run bench:login`: does POST /token take the same time for an unknown username as for a
 * known one with a wrong password? (If not, its timing tells an attacker which usernames exist.)
 *
 * Runs the real app over HTTP with the production argon2id cost (m=19 MiB, t=2, p=1), a private
 * redis-server and an in-memory PGlite database, then sends the two kinds of failed login
 * interleaved (so load changes hit both alike) and prints their medians and the ratio.
 * The bar: the two medians differ by less than a factor of 1.5.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/app';
import { PasswordHasher } from '../src/auth/passwords';
import { loadConfig } from '../src/core/config';
import { createLogger } from '../src/core/logger';
import { connectRedis } from '../src/store/redis';
import { openDatabase } from '../src/store/database';
import { migrate } from '../src/store/migrate';
import { UsersRepository } from '../src/store/users.repository';
import { startRedis } from '../test/support/redis-server';

const ROUNDS = Number(process.env.BENCH_LOGIN_ROUNDS ?? 41);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  // Throwaway credentials for the Redis this bench starts and stops: made fresh every run.
  const redisServer = await startRedis({ password: randomBytes(18).toString('base64url') });
  const config = loadConfig({
    NODE_ENV: 'test',
    REDIS_URL: redisServer.url,
    ['REDIS_PASSWORD']: redisServer.password,
    ['JWT_SECRET']: randomBytes(48).toString('base64url'),
    PLAIN_HTTP: 'true',
    LOGIN_MAX_FAILURES_PER_USER_IP: '1000',
    LOGIN_MAX_FAILURES_PER_USER: '1000',
    LOGIN_MAX_FAILURES_PER_IP: '100000',
  });
  const logger = createLogger('silent');
  const db = await openDatabase({});
  await migrate(db);
  const passwords = new PasswordHasher();
  await new UsersRepository(db).create({ username: 'victim', passwordHash: await passwords.hash('the-right-password'), scopes: [] });
  const redis = await connectRedis(config.redis, logger);
  const app = await createApp({ config, logger, redis, db, passwords, validateResponses: false });
  const server = http.createServer(app.listener);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;

  const attempt = async (username: string): Promise<number> => {
    const started = process.hrtime.bigint();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username, password: 'a-wrong-password' }),
    });
    await res.text();
    if (res.status !== 400) throw new Error(`expected 400, got ${res.status}`);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };

  const times = { unknown: [] as number[], wrong: [] as number[] };
  for (let i = 0; i < 3; i++) await attempt('victim'), await attempt(`nobody-${i}`);
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate which goes first so neither always follows the other.
    if (i % 2) {
      times.unknown.push(await attempt(`nobody-${i}`));
      times.wrong.push(await attempt('victim'));
    } else {
      times.wrong.push(await attempt('victim'));
      times.unknown.push(await attempt(`nobody-${i}`));
    }
  }
  const mu = median(times.unknown);
  const mw = median(times.wrong);
  const ratio = Math.max(mu, mw) / Math.min(mu, mw);
  process.stdout.write(
    [
      `POST /token failed logins, argon2id m=19456 KiB t=2 p=1, ${ROUNDS} of each, interleaved (node ${process.version})`,
      `  unknown username      median ${mu.toFixed(2)} ms  [${Math.min(...times.unknown).toFixed(2)}–${Math.max(...times.unknown).toFixed(2)}]`,
      `  known, wrong password median ${mw.toFixed(2)} ms  [${Math.min(...times.wrong).toFixed(2)}–${Math.max(...times.wrong).toFixed(2)}]`,
      `  ratio (slower / faster median) ${ratio.toFixed(3)}  ${ratio < 1.5 ? '< 1.5: OK' : '>= 1.5: usernames are distinguishable'}`,
      '',
    ].join('\n'),
  );
  server.closeAllConnections();
  server.close();
  redis.disconnect();
  await db.close();
  await redisServer.stop();
  if (ratio >= 1.5) process.exitCode = 1;
}

void main();
