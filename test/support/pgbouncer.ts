/**
 * Starts Debian's real `pgbouncer` in transaction pooling mode in front of the tests' PostgreSQL
 * (TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test), on a free port, with its files
 * in a temp dir. Every database of that server is reachable through it under its own name.
 *
 * Fails with a clear message when pgbouncer is not installed or PostgreSQL does not answer: CI has
 * both (.ci/run installs pgbouncer), so a missing one is a broken machine, not a skipped test.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { testDatabaseUrl } from './database';
import { findFreePort, startWatchdog, terminate } from './redis-server';

/** The server the tests use when TEST_DATABASE_URL is not set (what CI's PostgreSQL answers on). */
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** The PostgreSQL the PgBouncer tests put PgBouncer in front of. */
export const upstreamUrl = (): string => testDatabaseUrl() ?? DEFAULT_POSTGRES_URL;

export interface StartPgBouncerOptions {
  /** Server connections per database and user (default_pool_size); small, so clients share them. */
  poolSize?: number;
}

/** A running throwaway pgbouncer. */
export interface PgBouncer {
  port: number;
  /** A connection string through PgBouncer to `database` (default: the upstream URL's database). */
  url(database?: string): string;
  /** Runs one command on PgBouncer's admin console (SHOW POOLS, PAUSE, RESUME, KILL db…) and returns its rows. */
  admin(command: string): Promise<Record<string, unknown>[]>;
  /** SIGKILLs pgbouncer, as a crash: every client and server connection drops, new ones are refused. */
  kill(): Promise<void>;
  /** Starts pgbouncer again on the same port with the same configuration. */
  restart(): Promise<void>;
  /** Shuts pgbouncer down and removes its files. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 5;
const LOG_TAIL_BYTES = 4_000;

/** Starts a pgbouncer in transaction pooling mode and waits until its admin console answers. */
export async function startPgBouncer(opts: StartPgBouncerOptions = {}): Promise<PgBouncer> {
  const binary = findPgBouncer();
  const upstream = new URL(upstreamUrl());
  await assertPostgresAnswers(upstream);
  const user = decodeURIComponent(upstream.username) || 'postgres';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'specgate-pgbouncer-'));
  const owner = fileOwner();
  let launched: Launched | undefined;
  try {
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await findFreePort();
      writeConfig(dir, port, upstream, user, opts, owner);
      try {
        launched = await launch(binary, dir, port, user);
        break;
      } catch (err) {
        // Someone else took the port between our probe and pgbouncer binding it.
        if (!(err instanceof PortClashError) || attempt >= PORT_ATTEMPTS) throw err;
      }
    }
    const connection = (database: string) => {
      const url = new URL(upstream.toString());
      url.hostname = '127.0.0.1';
      url.port = String(port);
      url.pathname = `/${database}`;
      return url.toString();
    };
    let stopped = false;
    return {
      port,
      url: (database = upstream.pathname.slice(1)) => connection(database),
      async admin(command) {
        const client = new Client({ connectionString: connection('pgbouncer') });
        await client.connect();
        try {
          // The admin console speaks only the simple query protocol: no parameters.
          return (await client.query(command)).rows;
        } finally {
          await client.end();
        }
      },
      async kill() {
        await shutdown(launched, 'SIGKILL');
        launched = undefined;
      },
      async restart() {
        if (stopped) throw new Error('pgbouncer was stopped; start a new one instead');
        await shutdown(launched, 'SIGKILL');
        launched = await launch(binary, dir, port, user);
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await shutdown(launched, 'SIGTERM');
        launched = undefined;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await shutdown(launched, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function findPgBouncer(): string {
  for (const candidate of ['pgbouncer', '/usr/sbin/pgbouncer']) {
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    'pgbouncer is not installed: the PgBouncer tests need it (Debian: apt-get install --no-install-recommends pgbouncer; .ci/run installs it)',
  );
}

async function assertPostgresAnswers(upstream: URL): Promise<void> {
  const client = new Client({ connectionString: upstream.toString(), connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    // The URL is not shown: it may carry a password.
    throw new Error(
      `The PgBouncer tests need PostgreSQL (TEST_DATABASE_URL, else ${DEFAULT_POSTGRES_URL}); it does not answer: ${(err as Error).message}`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * pgbouncer refuses to run as root. As root (CI's containers) it is started with `-u nobody`, so
 * its files belong to `nobody`; they stay private (the config may hold the upstream password).
 */
function fileOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function writeConfig(
  dir: string,
  port: number,
  upstream: URL,
  user: string,
  opts: StartPgBouncerOptions,
  owner: { uid: number; gid: number } | undefined,
): void {
  const password = decodeURIComponent(upstream.password);
  // `*`: any database name is forwarded to the server under the same name, as user `user`.
  const target = [
    `host=${upstream.hostname.replace(/^\[|\]$/g, '')}`,
    `port=${upstream.port || '5432'}`,
    `user=${user}`,
    ...(password ? [`password=${password}`] : []),
  ].join(' ');
  const settings = [
    '[databases]',
    `* = ${target}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'pool_mode = transaction',
    // The clients are the tests on this machine; pgbouncer logs in to PostgreSQL with `target`.
    'auth_type = trust',
    `auth_file = ${path.join(dir, 'users.txt')}`,
    `admin_users = ${user}`,
    `default_pool_size = ${opts.poolSize ?? 2}`,
    'max_client_conn = 200',
    // Retry a refused server login after 1 s, not the default 15 s: the outage tests watch recovery.
    'server_login_retry = 1',
    // A client waiting for a server connection that cannot be made (PostgreSQL down or refusing)
    // gets an error after 3 s instead of the default 120 s: the service answers 503 in time.
    'query_wait_timeout = 3',
    'log_connections = 0',
    'log_disconnections = 0',
  ];
  const file = (name: string, text: string) => {
    writeFileSync(path.join(dir, name), text, { mode: 0o600 });
    if (owner) chownSync(path.join(dir, name), owner.uid, owner.gid);
  };
  if (owner) chownSync(dir, owner.uid, owner.gid);
  file('pgbouncer.ini', `${settings.join('\n')}\n`);
  file('users.txt', `"${user}" ""\n`);
}

interface Launched {
  child: ChildProcess;
  watchdog: ChildProcess;
}

class PortClashError extends Error {}

async function shutdown(launched: Launched | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!launched) return;
  // SIGKILL so the watchdog cannot run its cleanup (it would delete the dir restart() needs).
  launched.watchdog.kill('SIGKILL');
  await terminate(launched.child, signal);
}

async function launch(binary: string, dir: string, port: number, user: string): Promise<Launched> {
  const args = [...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []), path.join(dir, 'pgbouncer.ini')];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) {
    const [err] = (await once(child, 'error')) as [Error];
    throw new Error(`Failed to spawn pgbouncer: ${err.message}`);
  }
  const watchdog = startWatchdog(child.pid, dir);
  let log = '';
  const collect = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-LOG_TAIL_BYTES);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  // A forgotten pgbouncer must not keep the test runner alive; its watchdog kills it.
  child.unref();
  (child.stdout as unknown as net.Socket).unref();
  (child.stderr as unknown as net.Socket).unref();
  const exited = new Promise<string>((resolve) => {
    child.once('close', (code, signal) => resolve(`pgbouncer exited (code ${code}, signal ${signal})`));
  });

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const outcome = await Promise.race([exited, answers(port, user).then((ok) => (ok ? 'ready' : undefined))]);
    if (outcome === 'ready') return { child, watchdog };
    if (outcome !== undefined) {
      watchdog.kill('SIGKILL');
      if (/Address already in use/i.test(log)) throw new PortClashError(`port ${port} is taken`);
      throw new Error(`${outcome}. Log tail:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await shutdown({ child, watchdog }, 'SIGKILL');
  throw new Error(`pgbouncer on port ${port} did not answer within ${READY_TIMEOUT_MS} ms. Log tail:\n${log}`);
}

/** Whether pgbouncer's admin console answers SHOW VERSION. */
async function answers(port: number, user: string): Promise<boolean> {
  const client = new Client({ host: '127.0.0.1', port, user, database: 'pgbouncer', connectionTimeoutMillis: 1_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SHOW VERSION');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
