/**
 * What the parts of bench:http (http.ts) share: the knobs (bench/README.md lists them), the
 * scenario names, a scenario and a measured run, and a few number helpers.
 */
import path from 'node:path';
import type { GcRun } from './gc-run';
import { onPath } from './pinning';
import type { Server } from './servers';

const num = (name: string, fallback: number, zeroAllowed = false) => {
  const v = Number(process.env[name] ?? fallback);
  if (!(v > 0 || (zeroAllowed && v === 0)))
    throw new Error(`${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number`);
  return v;
};

/** Scenario names, in the order they run in odd rounds (even rounds move the floor to the end). */
export const KEYS = [
  'floor',
  'cached',
  'traced10',
  'tracedAll',
  'es256',
  '304',
  'miss',
  'list',
  'sessions',
  'peer',
  'ideal',
] as const;
export type Key = (typeof KEYS)[number];

/** The knobs, read once. */
export const settings = {
  rounds: num('BENCH_HTTP_ROUNDS', 3),
  duration: num('BENCH_HTTP_DURATION', 8),
  /** 0: no warm-up run. */
  warmup: num('BENCH_HTTP_WARMUP', 2, true),
  connections: num('BENCH_HTTP_CONNECTIONS', 32),
  missItems: num('BENCH_HTTP_MISS_ITEMS', 2000),
  /** Users of the sessions scenario, one session and access token each. */
  sessions: num('BENCH_HTTP_SESSIONS', 1000),
  nodeEnv: process.env.BENCH_HTTP_NODE_ENV ?? 'production',
  profile: process.env.BENCH_HTTP_PROFILE ?? '',
  /**
   * `<scenario>` or `<scenario>:nvp`: that server writes V8's GC trace of its measured runs
   * (--trace-gc, or --trace-gc-nvp) to a file (gc-run.ts).
   */
  traceGc: traceGcOf(process.env.BENCH_HTTP_TRACE_GC),
  /** The scenarios this run measures: floor and cached always. */
  only: new Set([
    ...(process.env.BENCH_HTTP_ONLY ?? KEYS.join(',')).split(',').map((s) => s.trim()),
    'floor',
    'cached',
  ]),
  resultsDir: path.resolve(process.env.BENCH_HTTP_RESULTS_DIR ?? path.join(__dirname, 'results')),
  /** BENCH_HTTP_WORKERS=1,2: instead of the scenarios, the cached read with each WORKERS count (http-workers.ts). */
  workers: workerCounts(process.env.BENCH_HTTP_WORKERS),
  /** What drives the load: wrk when it is on PATH (a process of its own), else autocannon (in this one). */
  loadgen: loadGenerator(process.env.BENCH_HTTP_LOADGEN),
};

function traceGcOf(raw: string | undefined): { key: string; flag: 'trace-gc' | 'trace-gc-nvp' } | undefined {
  if (!raw) return undefined;
  const [key = '', format] = raw.split(':');
  if (format !== undefined && format !== 'nvp') throw new Error('BENCH_HTTP_TRACE_GC: <scenario> or <scenario>:nvp');
  return { key, flag: format ? 'trace-gc-nvp' : 'trace-gc' };
}

function loadGenerator(asked: string | undefined): 'wrk' | 'autocannon' {
  if (asked === 'autocannon') return asked;
  if (asked !== undefined && asked !== 'wrk') throw new Error('BENCH_HTTP_LOADGEN must be wrk or autocannon');
  if (onPath('wrk')) return 'wrk';
  if (asked === 'wrk') throw new Error('BENCH_HTTP_LOADGEN=wrk: no wrk on PATH');
  return 'autocannon';
}

function workerCounts(raw: string | undefined): number[] {
  if (!raw?.trim()) return [];
  const counts = raw.split(',').map((s) => Number(s.trim()));
  if (counts.some((n) => !Number.isInteger(n) || n < 1 || n > 64))
    throw new Error('BENCH_HTTP_WORKERS must list worker counts from 1 to 64, e.g. 1,2');
  return counts;
}

export interface Scenario {
  key: Key;
  label: string;
  server: Server;
  /** Where the server keeps its data: PostgreSQL, PGlite, or '-' for none. */
  database: string;
  /** One path, or several that successive requests rotate through. */
  paths: string[];
  headers: Record<string, string>;
  /** Headers that successive requests rotate through, each set over `headers` (sessions: their tokens). */
  headerSets?: Record<string, string>[];
  /** The status every answer must have. */
  status: 200 | 304;
  xCache?: 'HIT' | 'MISS';
  /** What is wrong with an answer's body for `path`, if anything. */
  check: (body: string, path: string) => string | undefined;
  /** Runs before each warm-up and measured run (the peer: the service refills the entry it reads). */
  refresh?: () => Promise<void>;
}

/** Request `i` of a scenario's rotation: the i-th path and the i-th header set (each wrapping around). */
export function requestOf(s: Scenario, i: number): { path: string; headers: Record<string, string> } {
  const sets = s.headerSets ?? [];
  const path = s.paths[i % s.paths.length]!;
  return { path, headers: sets.length ? { ...s.headers, ...sets[i % sets.length] } : s.headers };
}

/** How many distinct requests a scenario rotates through (1: always the same). */
export const rotationOf = (s: Scenario) => Math.max(s.paths.length, s.headerSets?.length ?? 1);

/** What a load generator (load-wrk.ts, load-autocannon.ts) measured in one run. */
export interface Load {
  /** Responses it received. */
  requests: number;
  /** Wall time of the run, s. */
  elapsedS: number;
  rps: number;
  /** Latency, ms. */
  p50: number;
  p99: number;
  max: number;
  /** CPU the load generator used, % of one CPU over the run. */
  loadgenPct: number;
  /** Socket errors and timeouts, e.g. { read: 2 }; empty when none. */
  errors: Record<string, number>;
}

export interface Run {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  /** Server process CPU (all threads) per request, µs. */
  cpuUs: number;
  /** The server's main-thread GC time during the measured run, % of its wall time. */
  gcPct: number;
  /** The server's collections during the measured run (gc-run.ts); promoted bytes ÷ responses. */
  gc: GcRun & { promotedPerRequest: number };
  loadgenPct: number;
  /** X-Cache of every response the server wrote during the measured run. */
  xCache: Record<string, number>;
  problems: string[];
  warnings: string[];
}

export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
export const fmtInt = (v: number) => Math.round(v).toLocaleString('en-US');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
