/**
 * `npm run bench:login`: does POST /token take as long for an unknown username as for a known one
 * with a wrong password? (If not, its timing tells an attacker which usernames exist.)
 * The real app in its own process (server.ts: production argon2id cost m=19 MiB t=2 p=1, private
 * redis-server, in-memory PGlite), the login limits raised out of the way; the two kinds of failed
 * login are sent alternately (so load changes hit both alike, and neither always goes first).
 * The bar: the two medians differ by less than a factor of 1.5 (else exit 1).
 */
import { startBenchRedis, startServer, USERNAME } from './servers';

const ROUNDS = Number(process.env.BENCH_LOGIN_ROUNDS ?? 41);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: number[]) => `[${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}]`;

async function main(): Promise<void> {
  const redis = await startBenchRedis();
  const limits = {
    LOGIN_MAX_FAILURES_PER_USER_IP: '1000',
    LOGIN_MAX_FAILURES_PER_USER: '1000',
    LOGIN_MAX_FAILURES_PER_IP: '100000',
  };
  const server = await startServer('service', {
    ...redis.env,
    NODE_ENV: 'production',
    BENCH_ITEMS: '0',
    BENCH_CONFIG: JSON.stringify(limits),
  });
  try {
    const attempt = async (username: string): Promise<number> => {
      const started = performance.now();
      const res = await fetch(`${server.origin}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'password', username, password: 'a-wrong-password' }),
      });
      await res.text();
      if (res.status !== 400) throw new Error(`expected 400, got ${res.status}`);
      return performance.now() - started;
    };
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 3; i++) {
      // warm-up
      await attempt(USERNAME);
      await attempt(`nobody-${i}`);
    }
    for (let i = 0; i < ROUNDS; i++) {
      const unknownFirst = i % 2 === 1;
      if (unknownFirst) unknown.push(await attempt(`nobody-${i}`));
      wrong.push(await attempt(USERNAME));
      if (!unknownFirst) unknown.push(await attempt(`nobody-${i}`));
    }
    const [mu, mw] = [median(unknown), median(wrong)];
    const ratio = Math.max(mu, mw) / Math.min(mu, mw);
    process.stdout.write(
      [
        `POST /token failed logins, argon2id m=19456 KiB t=2 p=1, ${ROUNDS} of each, alternating (node ${process.version})`,
        `  unknown username      median ${mu.toFixed(2)} ms  ${range(unknown)}`,
        `  known, wrong password median ${mw.toFixed(2)} ms  ${range(wrong)}`,
        `  ratio (slower / faster median) ${ratio.toFixed(3)}  ${ratio < 1.5 ? '< 1.5: OK' : '>= 1.5: usernames are distinguishable'}`,
        '',
      ].join('\n'),
    );
    if (ratio >= 1.5) process.exitCode = 1;
  } finally {
    await server.stop();
    await redis.server.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench:login failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
