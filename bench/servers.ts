/**
 * The parent side of bench:http and bench:login: one private redis-server with a fresh password,
 * and server processes (server.ts) forked with it. Environment a server gets:
 *   BENCH_REDIS_URL, BENCH_REDIS_AUTH, BENCH_JWT_KEY   the private Redis and a fresh HS256 key
 *   BENCH_USERNAME, BENCH_PASSWORD                     the user created for password-grant logins
 *   BENCH_ITEMS (100), BENCH_NO_STORE, BENCH_FLOOR_KEY, BENCH_CONFIG (JSON of extra config variables)
 * A server exits by itself when this process goes away (its IPC channel closes), even on SIGKILL.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type RedisServer, startRedis } from '../test/support/redis-server';

export const USERNAME = 'bench';
export const PASSWORD = randomBytes(18).toString('base64url');

export interface BenchRedis {
  server: RedisServer;
  env: Record<string, string>;
}

export async function startBenchRedis(): Promise<BenchRedis> {
  const server = await startRedis({ password: randomBytes(18).toString('base64url') });
  const env = {
    BENCH_REDIS_URL: server.url,
    BENCH_REDIS_AUTH: server.password!,
    BENCH_JWT_KEY: randomBytes(48).toString('base64url'),
    BENCH_USERNAME: USERNAME,
    BENCH_PASSWORD: PASSWORD,
  };
  return { server, env };
}

export interface Server {
  pid: number;
  origin: string;
  itemIds: string[];
  /** Responses written so far, by X-Cache ('-' for none). */
  stats(): Promise<Record<string, number>>;
  /** SIGTERM; resolves once it has exited (and written its --cpu-prof profile, if any). */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Forks server.ts; with `cpuProfDir`, under `node --cpu-prof` writing its profile there on exit. */
export function startServer(
  mode: 'floor' | 'service',
  env: Record<string, string>,
  cpuProfDir?: string,
): Promise<Server> {
  const profile = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
  const child = fork(path.join(__dirname, 'server.ts'), [mode], {
    execArgv: [...profile, '-r', require.resolve('tsx/cjs')],
    env: { ...process.env, ...env },
  });
  live.add(child);
  const exited = once(child, 'exit').then(() => void live.delete(child));
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) =>
      reject(new Error(`${mode} server exited before it was ready (${code ?? signal})`)),
    );
    child.once('message', (m) => {
      const info = m as { port: number; itemIds: string[] };
      resolve({
        pid: child.pid!,
        origin: `http://127.0.0.1:${info.port}`,
        itemIds: info.itemIds,
        stats: () =>
          new Promise((answer) => {
            child.once('message', (s) => answer(s as Record<string, number>));
            child.send('stats');
          }),
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}

/** User + system CPU time of a process and all its threads, in µs (Linux /proc; USER_HZ 100). */
export function cpuTimeUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}
