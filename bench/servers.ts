/**
 * The parent side of bench:http and bench:login: one private redis-server with a fresh password,
 * and server processes (server.ts, peer/server.ts) spawned with it. Environment a server gets:
 *   BENCH_REDIS_URL, BENCH_REDIS_AUTH, BENCH_JWT_KEY   the private Redis and a fresh HS256 key
 *   BENCH_USERNAME, BENCH_PASSWORD                     the user created for password-grant logins
 *   BENCH_ITEMS (100), BENCH_USER_SCOPES (items:read), BENCH_NO_STORE, BENCH_FLOOR_KEY,
 *   BENCH_CONFIG (JSON of extra config variables)
 *   BENCH_PG_URL, BENCH_PG_SCHEMA                      PostgreSQL for a service (bench-postgres.ts)
 * A server exits by itself when this process goes away (its IPC channel closes), even on SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type RedisServer, startRedis } from '../test/support/redis-server';
import { type ChildStats, epochMs, type ReadyMessage } from './child';
import { pinnedCommand } from './pinning';

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
  /** From spawning the process to its server listening, ms (seeding the test data comes after). */
  startupMs: number;
  /** The server's own start-up phases, ms each (see child.ts ReadyMessage). */
  phases: Record<string, number>;
  /** Running totals: responses by X-Cache, GC time. */
  stats(): Promise<ChildStats>;
  /** SIGTERM; resolves once it has exited (and written its --cpu-prof profile, if any). */
  stop(): Promise<void>;
}

/** How to start a server: under `node --cpu-prof` writing to `cpuProfDir`, pinned to `cpu`. */
export interface StartOptions {
  cpuProfDir?: string | undefined;
  cpu?: number | undefined;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

const SCRIPTS = { floor: 'server.ts', service: 'server.ts', peer: 'peer/server.ts' } as const;

/** Starts a server process and resolves once it listens and has its data. */
export function startServer(
  mode: 'floor' | 'service' | 'peer',
  env: Record<string, string>,
  opts: StartOptions = {},
): Promise<Server> {
  const profile = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
  const nodeArgs = [...profile, '-r', require.resolve('tsx/cjs'), path.join(__dirname, SCRIPTS[mode]), mode];
  const [command, args] = pinnedCommand(opts.cpu, process.execPath, nodeArgs);
  const spawnedAt = epochMs();
  // taskset execs node in place: same pid, and the IPC channel (fd 3) is inherited.
  const child = spawn(command, args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  live.add(child);
  const exited = once(child, 'exit').then(() => void live.delete(child));
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) =>
      reject(new Error(`${mode} server exited before it was ready (${code ?? signal})`)),
    );
    child.once('message', (m) => {
      const ready = m as ReadyMessage;
      resolve({
        pid: child.pid!,
        origin: `http://127.0.0.1:${ready.port}`,
        itemIds: ready.itemIds,
        startupMs: ready.listeningAt - spawnedAt,
        phases: ready.phases,
        stats: () =>
          new Promise((answer) => {
            child.once('message', (s) => answer(s as ChildStats));
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
