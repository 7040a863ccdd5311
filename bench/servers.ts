/**
 * The parent side of bench:http and bench:login: one private redis-server with a fresh password,
 * and server processes (server.ts, peer/server.ts, ideal/server.ts) spawned with it. Environment a
 * server gets:
 *   BENCH_REDIS_URL, BENCH_REDIS_AUTH, BENCH_JWT_KEY   the private Redis and a fresh HS256 key
 *   BENCH_USERNAME, BENCH_PASSWORD                     the user created for password-grant logins
 *   BENCH_ITEMS (100), BENCH_USER_SCOPES (items:read), BENCH_NO_STORE, BENCH_FLOOR_KEY,
 *   BENCH_SESSIONS (users, each with a session, whose access tokens come back in the ready message),
 *   BENCH_CONFIG (JSON of extra config variables)
 *   BENCH_PG_URL, BENCH_PG_SCHEMA                      PostgreSQL for a service (bench-postgres.ts)
 *   OTEL_*                                             only those its scenario sets (a traced service)
 * A server exits by itself when this process goes away (its IPC channel closes), even on SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type RedisServer, startRedis } from '../test/support/redis-server';
import { type ChildStats, epochMs, type ReadyMessage } from './child';
import type { GcRun } from './gc-run';
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
  /** Access tokens of the sessions it opened (BENCH_SESSIONS), else empty. */
  tokens: string[];
  /** From spawning the process to its server listening, ms (seeding the test data comes after). */
  startupMs: number;
  /** The server's own start-up phases, ms each (see child.ts ReadyMessage). */
  phases: Record<string, number>;
  /** Running totals: responses by status and X-Cache, GC time. */
  stats(): Promise<ChildStats>;
  /** Starts watching its garbage collection for a measured run (gc-run.ts); resolves once it watches. */
  startRun(): Promise<void>;
  /** Stops watching; resolves to the run's GC figures. */
  stopRun(): Promise<GcRun>;
  /** SIGTERM; resolves once it has exited (and written its --cpu-prof profile, if any). */
  stop(): Promise<void>;
}

/**
 * How to start a server: under `node --cpu-prof` writing to `cpuProfDir`, pinned to `cpu`, its
 * stdout to `stdoutFile` (else this process's); `script`: another tree's server.ts instead of this
 * one's (bench:ab's baseline; it must speak child.ts's IPC).
 */
export interface StartOptions {
  cpuProfDir?: string | undefined;
  cpu?: number | undefined;
  stdoutFile?: string | undefined;
  script?: string | undefined;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/**
 * SIGTERM to every server this process started that is still running, ready or not (one that was
 * still starting when another failed too); resolves once they have exited.
 */
export async function stopAllServers(): Promise<void> {
  const running = [...live].filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(
    running.map((c) => {
      const exited = once(c, 'exit');
      c.kill('SIGTERM');
      return exited;
    }),
  );
}

/**
 * How `npm start` runs the service (package.json's start script): its environment assignments
 * (glibc's allocator settings) and node flags (the young generation's cap). Every server of the
 * bench, subject or baseline, runs with them.
 */
const START_SCRIPT = (
  JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { scripts: { start: string } }
).scripts.start.split(/\s+/);
export const PRODUCTION_NODE_FLAGS = START_SCRIPT.filter((arg) => arg.startsWith('--'));
export const PRODUCTION_ENV: Record<string, string> = Object.fromEntries(
  START_SCRIPT.flatMap((arg) =>
    /^[A-Z_]+=/.test(arg) ? [[arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]] : [],
  ),
);

/**
 * The environment without its OpenTelemetry variables (OTEL_*): a server traces only when its
 * scenario says so (http-start.ts), never because the shell running the bench had an endpoint set.
 */
export const withoutOtel = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('OTEL_')));

const SCRIPTS = { floor: 'server.ts', service: 'server.ts', peer: 'peer/server.ts', ideal: 'ideal/server.ts' } as const;
export type Mode = keyof typeof SCRIPTS;

/** Starts a server process and resolves once it listens and has its data. */
export function startServer(mode: Mode, env: Record<string, string>, opts: StartOptions = {}): Promise<Server> {
  const profile = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
  const nodeArgs = [
    ...PRODUCTION_NODE_FLAGS,
    ...profile,
    '-r',
    require.resolve('tsx/cjs'),
    opts.script ?? path.join(__dirname, SCRIPTS[mode]),
    mode,
  ];
  const [command, args] = pinnedCommand(opts.cpu, process.execPath, nodeArgs);
  const spawnedAt = epochMs();
  // taskset execs node in place: same pid, and the IPC channel (fd 3) is inherited.
  const stdout = opts.stdoutFile ? openSync(opts.stdoutFile, 'w') : 'inherit';
  const child = spawn(command, args, {
    stdio: ['ignore', stdout, 'inherit', 'ipc'],
    env: { ...withoutOtel(process.env), ...PRODUCTION_ENV, ...env },
  });
  if (typeof stdout === 'number') closeSync(stdout); // the child has its own copy
  live.add(child);
  const exited = once(child, 'exit').then(() => void live.delete(child));
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) =>
      reject(new Error(`${mode} server exited before it was ready (${code ?? signal})`)),
    );
    child.once('message', (m) => {
      const ready = m as ReadyMessage;
      // The child answers each message with one reply, in order: one question at a time.
      let queue: Promise<unknown> = Promise.resolve();
      const ask = <T>(question: string): Promise<T> => {
        const asked = queue.then(
          () =>
            new Promise<T>((answer) => {
              child.once('message', (reply) => answer(reply as T));
              child.send(question);
            }),
        );
        queue = asked.catch(() => undefined);
        return asked;
      };
      resolve({
        pid: child.pid!,
        origin: `http://127.0.0.1:${ready.port}`,
        itemIds: ready.itemIds,
        tokens: ready.tokens,
        startupMs: ready.listeningAt - spawnedAt,
        phases: ready.phases,
        stats: () => ask<ChildStats>('stats'),
        startRun: async () => void (await ask<string>('run-start')),
        stopRun: async () => {
          const run = await ask<GcRun | null>('run-stop');
          if (!run) throw new Error(`${mode} server: run-stop without a run-start`);
          return run;
        },
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
