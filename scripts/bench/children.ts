/**
 * The parent side of scripts/bench-http.ts's server processes: spawns `node -r tsx/cjs <script>`
 * (the node process itself, no npx/tsx wrapper, so its pid is the server's), waits for its
 * `BENCH_READY` line, and stops it. Every child is tracked so that `stopAllChildren()` (called from
 * the bench's `finally`) and the exit/signal hooks installed by `installCleanupHooks()` leave nothing
 * running. A child also exits by itself when its stdin pipe closes (child-protocol.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PROFILE_SAVED, READY_PREFIX, STATS_PREFIX, type ResponseStats } from './child-protocol';

export interface ServerChild<T> {
  name: string;
  pid: number;
  info: T;
  /** Sends one command line to the child's stdin (child-protocol.ts). */
  send(line: string): void;
  /** Resolves with the next line the child prints that starts with `prefix`. */
  waitForLine(prefix: string, timeoutMs: number): Promise<string>;
  /** The responses the child has written so far, by status and X-Cache (the `stats` command). */
  stats(): Promise<ResponseStats>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
const TSX_CJS = require.resolve('tsx/cjs');

export interface StartChildOptions {
  env?: Record<string, string>;
  nodeArgs?: string[];
  readyTimeoutMs?: number;
}

export function startChild<T>(name: string, script: string, opts: StartChildOptions = {}): Promise<ServerChild<T>> {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '-r', TSX_CJS, script], {
    env: { ...process.env, ...opts.env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => live.delete(child));
  child.stdin!.on('error', () => undefined);

  const lineWaiters: Array<{ prefix: string; resolve: (line: string) => void }> = [];
  let out = '';
  let ready: ((info: T) => void) | undefined;
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    out += chunk;
    let nl: number;
    while ((nl = out.indexOf('\n')) !== -1) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      if (line.startsWith(READY_PREFIX) && ready) ready(JSON.parse(line.slice(READY_PREFIX.length)) as T);
      else if (lineWaiters.some((w) => line.startsWith(w.prefix))) {
        const i = lineWaiters.findIndex((w) => line.startsWith(w.prefix));
        lineWaiters.splice(i, 1)[0]!.resolve(line);
      } else if (line.trim()) process.stderr.write(`[${name}] ${line}\n`);
    }
  });

  const stop = async (graceMs = 3_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  return new Promise<ServerChild<T>>((resolve, reject) => {
    const timeoutMs = opts.readyTimeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      void stop(0);
      reject(new Error(`${name}: not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before it was ready (code ${child.exitCode}, signal ${child.signalCode})`));
    });
    ready = (info) => {
      clearTimeout(timer);
      ready = undefined;
      const waitForLine = (prefix: string, ms: number) =>
        new Promise<string>((res, rej) => {
          const waiter = {
            prefix,
            resolve: (line: string) => {
              clearTimeout(t);
              res(line);
            },
          };
          const t = setTimeout(() => {
            lineWaiters.splice(lineWaiters.indexOf(waiter), 1);
            rej(new Error(`${name}: no "${prefix}" line within ${ms} ms`));
          }, ms);
          lineWaiters.push(waiter);
        });
      const send = (line: string) => void child.stdin!.write(`${line}\n`);
      resolve({
        name,
        pid: child.pid!,
        info,
        send,
        waitForLine,
        async stats() {
          const answer = waitForLine(STATS_PREFIX, 10_000);
          send('stats');
          return JSON.parse((await answer).slice(STATS_PREFIX.length)) as ResponseStats;
        },
        stop,
      });
    };
  });
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
        }),
    ),
  );
}

/** On exit, SIGKILL whatever is left; on SIGINT/SIGTERM, run `cleanup` and exit 130. */
export function installCleanupHooks(cleanup: () => Promise<void>): void {
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
  let signalled = false;
  const onSignal = () => {
    if (signalled) process.exit(130);
    signalled = true;
    process.stderr.write('\ninterrupted: stopping the servers\n');
    cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** User + system CPU time of a process in ms (Linux /proc), or undefined elsewhere. */
export function cpuTimeMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS = 100;

export { PROFILE_SAVED, type ResponseStats };
