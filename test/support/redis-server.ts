import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Options for {@link startRedis}. */
export interface StartRedisOptions {
  /** Password of the `default` user (`requirepass`). */
  password?: string;
  /** Serve TLS only (plain port disabled), with a throwaway CA. */
  tls?: boolean;
  /** Extra ACL users; `rules` are appended after `on >password`, e.g. `'~* +@all'`. */
  aclUsers?: Array<{ name: string; password: string; rules: string }>;
  /** Extra command-line arguments for redis-server, e.g. `['--maxmemory', '10mb']`. */
  args?: string[];
}

/** A running throwaway redis-server. */
export interface RedisServer {
  host: '127.0.0.1';
  port: number;
  password?: string;
  /** `redis://` or `rediss://` URL without credentials. */
  url: string;
  /** The CA that signed the server certificate (PEM file and contents), with `tls: true`. */
  tls?: { caFile: string; ca: string };
  /** Shuts the server down (SIGTERM) and removes its files. */
  stop(): Promise<void>;
  /** SIGKILLs the server to simulate a crash; {@link RedisServer.restart} brings it back. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same config; all data is lost. */
  restart(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 5;
const LOG_TAIL_BYTES = 4_000;

/**
 * Starts a real `redis-server` (from PATH) on a free 127.0.0.1 port with
 * persistence off and its files in a temp dir, and waits until it answers PING.
 * Always `stop()` it (e.g. in `afterAll`); it is also killed when the process exits.
 */
export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisServer> {
  const entry: { child?: Launched; dir: string } = { dir: mkdtempSync(path.join(os.tmpdir(), 'specgate-redis-')) };
  try {
    const certs = opts.tls ? await makeCertificates(entry.dir) : undefined;
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await findFreePort();
      try {
        entry.child = await launch(entry.dir, port, opts, certs);
        break;
      } catch (err) {
        // Someone else grabbed the port between our probe and redis binding it.
        if (!(err instanceof PortClashError) || attempt >= PORT_ATTEMPTS) throw err;
      }
    }
    let stopped = false;
    const server: RedisServer = {
      host: '127.0.0.1',
      port,
      url: `${certs ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
      ...(opts.password !== undefined ? { password: opts.password } : {}),
      ...(certs ? { tls: { caFile: certs.caFile, ca: certs.ca } } : {}),
      async stop() {
        if (stopped) return;
        stopped = true;
        await shutdown(entry.child, 'SIGTERM');
        entry.child = undefined;
        rmSync(entry.dir, { recursive: true, force: true });
      },
      async kill() {
        await shutdown(entry.child, 'SIGKILL');
        entry.child = undefined;
      },
      async restart() {
        if (stopped) throw new Error('redis-server was stopped; start a new one instead');
        await shutdown(entry.child, 'SIGKILL');
        entry.child = undefined;
        entry.child = await launch(entry.dir, port, opts, certs);
      },
    };
    return server;
  } catch (err) {
    await shutdown(entry.child, 'SIGKILL');
    rmSync(entry.dir, { recursive: true, force: true });
    throw err;
  }
}

/** A redis-server plus the watchdog that kills it if this process dies first. */
interface Launched {
  redis: ChildProcess;
  watchdog: ChildProcess;
}

async function shutdown(launched: Launched | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!launched) return;
  // SIGKILL so the watchdog cannot run its cleanup (it would delete the dir restart() needs).
  launched.watchdog.kill('SIGKILL');
  await terminate(launched.redis, signal);
}

/**
 * Jest runs tests in a VM sandbox where `process.on('exit')` never fires, and a
 * crashed or killed runner fires nothing at all. So each server gets a shell
 * that blocks reading a pipe from us: when we die the pipe hits EOF and the
 * shell kills the server and removes its files.
 */
export function startWatchdog(pid: number, dir: string): ChildProcess {
  const watchdog = spawn('sh', ['-c', 'read _; kill -9 "$0" 2>/dev/null; rm -rf "$1"', String(pid), dir], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.on('error', () => undefined);
  watchdog.unref();
  (watchdog.stdin as unknown as net.Socket).unref();
  return watchdog;
}

class PortClashError extends Error {}

interface Certificates {
  caFile: string;
  ca: string;
  certFile: string;
  keyFile: string;
}

/** Asks the OS for a free port by binding port 0, then releases it. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

async function writeConfig(dir: string, port: number, opts: StartRedisOptions, certs?: Certificates): Promise<string> {
  const lines = ['bind 127.0.0.1', `dir ${quote(dir)}`, 'save ""', 'appendonly no', 'daemonize no', 'logfile ""'];
  if (certs) {
    lines.push(
      'port 0',
      `tls-port ${port}`,
      `tls-cert-file ${quote(certs.certFile)}`,
      `tls-key-file ${quote(certs.keyFile)}`,
      `tls-ca-cert-file ${quote(certs.caFile)}`,
      'tls-auth-clients no',
    );
  } else {
    lines.push(`port ${port}`);
  }
  if (opts.password !== undefined) lines.push(`requirepass ${quote(opts.password)}`);
  for (const user of opts.aclUsers ?? []) {
    lines.push(`user ${quote(user.name)} on ${quote(`>${user.password}`)} ${user.rules}`);
  }
  const file = path.join(dir, 'redis.conf');
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

async function launch(dir: string, port: number, opts: StartRedisOptions, certs?: Certificates): Promise<Launched> {
  const config = await writeConfig(dir, port, opts, certs);
  const child = spawn('redis-server', [config, ...(opts.args ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const collect = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-LOG_TAIL_BYTES);
  };
  if (child.pid === undefined) {
    const [err] = (await once(child, 'error')) as [Error];
    throw new Error(`Failed to spawn redis-server (is it on PATH?): ${err.message}`);
  }
  const watchdog = startWatchdog(child.pid, dir);
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  // A forgotten server must not keep the test runner alive; its watchdog kills it.
  child.unref();
  (child.stdout as unknown as net.Socket).unref();
  (child.stderr as unknown as net.Socket).unref();

  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`failed to spawn redis-server: ${err.message}`));
    // 'close' rather than 'exit': it waits for stdout/stderr to drain, so the log tail is complete.
    child.once('close', (code, signal) => resolve(`redis-server exited (code ${code}, signal ${signal})`));
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const outcome = await Promise.race([exited, ping(port, certs).then((ok) => (ok ? 'ready' : undefined))]);
    if (outcome === 'ready') return { redis: child, watchdog };
    if (outcome !== undefined) {
      watchdog.kill('SIGKILL');
      if (/Address already in use/i.test(log)) throw new PortClashError(`port ${port} is taken`);
      throw new Error(`${outcome}. Log tail:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await shutdown({ redis: child, watchdog }, 'SIGKILL');
  throw new Error(`redis-server on port ${port} did not answer PING within ${READY_TIMEOUT_MS} ms. Log tail:\n${log}`);
}

/** One RESP PING over a raw (TLS) socket; NOAUTH also proves the server is up. */
function ping(port: number, certs?: Certificates): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = certs
      ? tls.connect({ host: '127.0.0.1', port, ca: certs.ca })
      : net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once(certs ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(/^(\+PONG|-NOAUTH)/.test(data.toString())));
  });
}

export async function terminate(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** A throwaway CA plus a server certificate for 127.0.0.1 and localhost, via the openssl CLI. */
async function makeCertificates(dir: string): Promise<Certificates> {
  await assertTlsSupported(dir);
  const file = (name: string) => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=specgate test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run('openssl', [
    'req',
    ...ec,
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
    '-subj',
    '/CN=localhost',
  ]);
  await writeFile(
    file('server.ext'),
    [
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
    ].join('\n'),
  );
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.crt'),
    '-days',
    '2',
    '-extfile',
    file('server.ext'),
  ]);
  return {
    caFile: file('ca.crt'),
    ca: await readFile(file('ca.crt'), 'utf8'),
    certFile: file('server.crt'),
    keyFile: file('server.key'),
  };
}

let tlsSupport: Promise<boolean> | undefined;

/** Redis builds without TLS reject the tls-* directives at config load; detect that once. */
async function assertTlsSupported(dir: string): Promise<void> {
  tlsSupport ??= (async () => {
    const file = path.join(dir, 'tls-probe.conf');
    // Both ports 0: a TLS-capable build gets past config loading and exits "not listening anywhere".
    await writeFile(file, 'port 0\ntls-port 0\nsave ""\n');
    const output = await run('redis-server', [file]).then(
      (r) => r.stdout + r.stderr,
      (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`,
    );
    return !/Bad directive|TLS.*not supported|TLS.*not built/i.test(output);
  })();
  if (!(await tlsSupport)) {
    throw new Error(
      'This redis-server build has no TLS support (rebuild with BUILD_TLS=yes); `tls: true` is unavailable',
    );
  }
}
