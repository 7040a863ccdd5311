/**
 * The child side of every bench server process (server.ts, peer/server.ts, ideal/server.ts): a
 * node:http server around the process's request listener that counts the status and `X-Cache` of
 * each response it writes, the main thread's garbage-collection time, and the IPC protocol with
 * the parent (servers.ts), each request answered by one reply, in order:
 *   child → parent, once, when ready: {@link ReadyMessage}
 *   parent → child 'stats'; child → parent {@link ChildStats}
 *   parent → child 'run-start' (a measured run begins: gc-run.ts watches); child → parent 'started'
 *   parent → child 'run-stop'; child → parent {@link GcRun}
 * Exits on SIGTERM, SIGINT or when the parent goes away (process.exit, so that `--cpu-prof` writes
 * its profile).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { type GcRun, startGcRun, stopGcRun } from './gc-run';

/** What a server reports when asked for 'stats': running totals since it started. */
export interface ChildStats {
  /** Responses written, by status code. */
  status: Record<string, number>;
  /** Responses written, by X-Cache ('-' for none). */
  xCache: Record<string, number>;
  /** Main-thread time spent in garbage collection (sum of the `gc` performance entries), ms. */
  gcMs: number;
  /** process.memoryUsage() of the server now: resident set and V8 heap in use, bytes. */
  rss: number;
  heapUsed: number;
}

/** The message a server sends once it listens and its data is in place. */
export interface ReadyMessage {
  port: number;
  itemIds: string[];
  /** Access tokens of the sessions the server opened for the bench (BENCH_SESSIONS), else none. */
  tokens: string[];
  /** When listen() called back, ms since the epoch (comparable with the parent's clock). */
  listeningAt: number;
  /** Start-up phases in order, ms each; `modules` is process start to the first line of main. */
  phases: Record<string, number>;
}

/** Now, in ms since the epoch with sub-ms precision: comparable across processes on one machine. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

// GC entries are what V8 reports per collection (scavenges and the main-thread part of mark-compact):
// the pauses a request on this event loop can wait behind. Observed from the start, summed.
const gc = { ms: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gc.ms += e.duration;
}).observe({ entryTypes: ['gc'] });

/** The X-Cache of a response as writeHead is called with it (an object or a flat [name, value] list). */
function xCacheOf(res: http.ServerResponse, headers: unknown): string {
  let v: unknown = res.getHeader('x-cache');
  if (Array.isArray(headers)) {
    const i = headers.findIndex((h, k) => k % 2 === 0 && String(h).toLowerCase() === 'x-cache');
    if (i >= 0) v = headers[i + 1];
  } else if (headers && typeof headers === 'object') v = (headers as Record<string, unknown>)['x-cache'] ?? v;
  return typeof v === 'string' ? v : '-';
}

/** What {@link serveChild} serves and how it gets ready. */
export interface ChildApp {
  listener: http.RequestListener;
  close: () => Promise<void>;
  /** Start-up phases measured before listening (see {@link ReadyMessage}). */
  phases: Record<string, number>;
  /** Runs once listening (test data is not part of start-up); resolves to what it created. */
  seed?: () => Promise<Seeded>;
}

/** The test data a server created: item ids, and access tokens when it opened sessions. */
export interface Seeded {
  itemIds: string[];
  tokens?: string[];
}

/**
 * Serves `app` on 127.0.0.1 (a free port), seeds it, then tells the parent it is ready; answers
 * 'stats' until it is stopped.
 */
export async function serveChild(app: ChildApp): Promise<void> {
  const byXCache: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    const writeHead = res.writeHead;
    // Also reached by end() without writeHead: node's implicit header calls this.writeHead(statusCode).
    res.writeHead = function (this: http.ServerResponse, ...args: unknown[]) {
      const key = xCacheOf(this, args[args.length - 1]);
      byXCache[key] = (byXCache[key] ?? 0) + 1;
      byStatus[args[0] as number] = (byStatus[args[0] as number] ?? 0) + 1;
      return (writeHead as (...a: unknown[]) => http.ServerResponse).apply(this, args);
    } as typeof res.writeHead;
    app.listener(req, res);
  });
  server.keepAliveTimeout = 65_000;
  const t = performance.now();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const listeningAt = epochMs();
  const phases = { ...app.phases, listen: performance.now() - t };
  const { itemIds, tokens = [] } = (await app.seed?.()) ?? { itemIds: [] };

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 3_000).unref();
    server.closeAllConnections();
    server.close();
    void app.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop).on('SIGINT', stop).on('disconnect', stop);
  process.on('message', (m) => {
    if (m === 'stats') {
      const { rss, heapUsed } = process.memoryUsage();
      process.send!({
        status: { ...byStatus },
        xCache: { ...byXCache },
        gcMs: gc.ms,
        rss,
        heapUsed,
      } satisfies ChildStats);
    } else if (m === 'run-start') {
      startGcRun();
      process.send!('started');
    } else if (m === 'run-stop') process.send!((stopGcRun() ?? null) satisfies GcRun | null);
  });
  const port = (server.address() as AddressInfo).port;
  process.send!({ port, itemIds, tokens, listeningAt, phases } satisfies ReadyMessage);
}

/** Runs `fn` and adds its duration (ms) to `phases[name]`. */
export async function timed<T>(phases: Record<string, number>, name: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  try {
    return await fn();
  } finally {
    phases[name] = (phases[name] ?? 0) + performance.now() - t;
  }
}

/** Exits with the error on stderr: a server that cannot start must not linger. */
export function exitOnError(what: string): (err: unknown) => never {
  return (err) => {
    process.stderr.write(`${what} failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  };
}
