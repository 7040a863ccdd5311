/**
 * The child side of scripts/bench-http.ts's server processes.
 *
 * - `announce(info)` prints one line `BENCH_READY <json>` on stdout once the server listens.
 * - The parent talks over the child's stdin, one command a line:
 *     `stats`                  answer `BENCH_STATS <json>` (responses by status and X-Cache so far)
 *     `profile:start`          start the V8 CPU profiler (node:inspector, in this process)
 *     `profile:stop <file>`    stop it, write the .cpuprofile to <file>, answer `BENCH_PROFILE_SAVED`
 * - When stdin ends (the parent exited, even by SIGKILL, closes the pipe) or on SIGTERM/SIGINT, the
 *   child runs its cleanup and exits: a crashed bench leaves no server behind.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import type http from 'node:http';
import { findSourceMap } from 'node:module';

export const READY_PREFIX = 'BENCH_READY ';
export const PROFILE_SAVED = 'BENCH_PROFILE_SAVED';
export const STATS_PREFIX = 'BENCH_STATS ';

/** Responses by status and by X-Cache value, counted as they are written. */
export interface ResponseStats {
  status: Record<string, number>;
  xCache: Record<string, number>;
}

/**
 * Counts every response's status and X-Cache header by wrapping `res.writeHead` (the pipeline
 * writes each response with one writeHead(status, headers) call): about a microsecond a request.
 */
export function countResponses(listener: http.RequestListener): { listener: http.RequestListener; stats: ResponseStats } {
  const stats: ResponseStats = { status: {}, xCache: {} };
  const wrapped: http.RequestListener = (req, res) => {
    const writeHead = res.writeHead;
    res.writeHead = function (this: http.ServerResponse, status: number, ...rest: unknown[]) {
      stats.status[status] = (stats.status[status] ?? 0) + 1;
      const headers = rest[rest.length - 1];
      const xCache = headers && typeof headers === 'object' && !Array.isArray(headers) ? (headers as Record<string, unknown>)['x-cache'] : undefined;
      const key = typeof xCache === 'string' ? xCache : '(none)';
      stats.xCache[key] = (stats.xCache[key] ?? 0) + 1;
      return (writeHead as (...a: unknown[]) => http.ServerResponse).call(this, status, ...rest);
    } as typeof res.writeHead;
    listener(req, res);
  };
  return { listener: wrapped, stats };
}

export function announce(info: Record<string, unknown>): void {
  process.stdout.write(`${READY_PREFIX}${JSON.stringify(info)}\n`);
}

/**
 * Wires stdin commands and shutdown; `cleanup` closes the server and its connections; `stats`
 * answers the `stats` command (`BENCH_STATS <json>`).
 */
export function serveParent(cleanup: () => Promise<void>, stats?: () => unknown): void {
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(code), 3_000);
    force.unref();
    cleanup().then(
      () => process.exit(code),
      () => process.exit(code === 0 ? 1 : code),
    );
  };
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));

  let session: Session | undefined;
  const post = <T>(method: string, params?: object) =>
    new Promise<T>((resolve, reject) => session!.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T))));

  let buffered = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      void command(line).catch((err) => process.stderr.write(`bench child: ${line} failed: ${(err as Error).message}\n`));
    }
  });
  process.stdin.on('end', () => stop(0));
  process.stdin.on('error', () => stop(0));

  async function command(line: string): Promise<void> {
    if (line === 'stats') {
      process.stdout.write(`${STATS_PREFIX}${JSON.stringify(stats?.() ?? {})}\n`);
    } else if (line === 'profile:start') {
      session = new Session();
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 200 });
      await post('Profiler.start');
    } else if (line.startsWith('profile:stop ')) {
      const file = line.slice('profile:stop '.length);
      const { profile } = await post<{ profile: unknown }>('Profiler.stop');
      session!.disconnect();
      session = undefined;
      writeFileSync(file, JSON.stringify(withOriginalPositions(profile as Profile)));
      process.stdout.write(`${PROFILE_SAVED}\n`);
    }
  }
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
  /** Added here: the TypeScript position, from the source map tsx registered (1-based line). */
  originalUrl?: string;
  originalLine?: number;
}
interface Profile {
  nodes: Array<{ callFrame: CallFrame }>;
}

/**
 * tsx compiles each .ts file to one long line, so a profile's positions in it say nothing; map them
 * back through the source maps Node holds for those modules (tsx enables source maps).
 */
function withOriginalPositions(profile: Profile): Profile {
  for (const { callFrame: f } of profile.nodes) {
    if (!f.url || f.url.startsWith('node:') || f.lineNumber < 0) continue;
    try {
      const map = findSourceMap(f.url) ?? findSourceMap(f.url.replace(/^file:\/\//, ''));
      const entry = map?.findEntry(f.lineNumber, f.columnNumber) as { originalSource?: string; originalLine?: number } | undefined;
      if (entry?.originalSource !== undefined && entry.originalLine !== undefined) {
        f.originalUrl = entry.originalSource;
        f.originalLine = entry.originalLine + 1;
      }
    } catch {
      // No source map for this script: keep the generated position.
    }
  }
  return profile;
}
