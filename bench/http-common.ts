/**
 * What the parts of bench:http (http.ts) share: the knobs (bench/README.md lists them), the
 * scenario names, a scenario and a measured run, and a few number helpers.
 */
import path from 'node:path';
import type { Server } from './servers';

const num = (name: string, fallback: number, zeroAllowed = false) => {
  const v = Number(process.env[name] ?? fallback);
  if (!(v > 0 || (zeroAllowed && v === 0)))
    throw new Error(`${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number`);
  return v;
};

/** Scenario names, in the order they run in odd rounds (even rounds move the floor to the end). */
export const KEYS = ['floor', 'cached', 'es256', '304', 'miss', 'list', 'peer'] as const;
export type Key = (typeof KEYS)[number];

/** The knobs, read once. */
export const settings = {
  rounds: num('BENCH_HTTP_ROUNDS', 3),
  duration: num('BENCH_HTTP_DURATION', 8),
  /** 0: no warm-up run. */
  warmup: num('BENCH_HTTP_WARMUP', 2, true),
  connections: num('BENCH_HTTP_CONNECTIONS', 32),
  missItems: num('BENCH_HTTP_MISS_ITEMS', 2000),
  nodeEnv: process.env.BENCH_HTTP_NODE_ENV ?? 'production',
  profile: process.env.BENCH_HTTP_PROFILE ?? '',
  /** The scenarios this run measures: floor and cached always. */
  only: new Set([
    ...(process.env.BENCH_HTTP_ONLY ?? KEYS.join(',')).split(',').map((s) => s.trim()),
    'floor',
    'cached',
  ]),
  resultsDir: path.resolve(process.env.BENCH_HTTP_RESULTS_DIR ?? path.join(__dirname, 'results')),
  /** BENCH_HTTP_WORKERS=1,2: instead of the scenarios, the cached read with each WORKERS count (http-workers.ts). */
  workers: workerCounts(process.env.BENCH_HTTP_WORKERS),
};

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
  /** The status every answer must have. */
  status: 200 | 304;
  xCache?: 'HIT' | 'MISS';
  /** What is wrong with an answer's body for `path`, if anything. */
  check: (body: string, path: string) => string | undefined;
  /** Runs before each warm-up and measured run (the peer: the service refills the entry it reads). */
  refresh?: () => Promise<void>;
}

export interface Run {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  /** Server process CPU (all threads) per request, µs. */
  cpuUs: number;
  /** The server's main-thread GC time during the measured run, % of its wall time. */
  gcPct: number;
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
