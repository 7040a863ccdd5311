/**
 * The performance targets (bench/README.md), each against the figure this run measured. None of them
 * fails the run: they are reported as met / NOT met (or not measured, when the run did not measure
 * the scenario, or not where the target is set: on PostgreSQL).
 */
import { type Key, median, type Run } from './http-common';
import type { Row, Target } from './http-report';

const POSTGRES = 'PostgreSQL';

/** Start-up of the cached service: ms from spawn to listening, and its database. */
export interface Startup {
  ms: number;
  database: string;
}

/**
 * The median over the rounds of `a`'s figure ÷ `b`'s in the same round (req/s unless `figure` says
 * otherwise); undefined when either scenario did not run.
 */
export function roundRatio(
  runs: Map<Key, Run[]>,
  a: Key,
  b: Key,
  figure: (r: Run) => number = (r) => r.rps,
): number | undefined {
  const [as, bs] = [runs.get(a), runs.get(b)];
  if (!as || !bs) return undefined;
  return median(as.map((r, i) => figure(r) / figure(bs[i]!)));
}

/** The same-round ratios printed with the targets and kept in the results. */
export function pairRatios(runs: Map<Key, Run[]>): Record<string, number | undefined> {
  return {
    cachedOverPeer: roundRatio(runs, 'cached', 'peer'),
    cachedOverIdeal: roundRatio(runs, 'cached', 'ideal'),
    sessionsOverCached: roundRatio(runs, 'sessions', 'cached'),
    es256OverCached: roundRatio(runs, 'es256', 'cached'),
    cachedP99OverPeerP99: roundRatio(runs, 'cached', 'peer', (r) => r.p99),
    traced10OverCached: roundRatio(runs, 'traced10', 'cached'),
    tracedAllOverCached: roundRatio(runs, 'tracedAll', 'cached'),
    traced10P99OverCachedP99: roundRatio(runs, 'traced10', 'cached', (r) => r.p99),
    tracedAllP99OverCachedP99: roundRatio(runs, 'tracedAll', 'cached', (r) => r.p99),
  };
}

/** A target on a figure: `measured` undefined when the scenarios it needs did not run. */
function bar(
  what: string,
  measured: number | undefined,
  show: (v: number) => string,
  op: '>=' | '<=' | '<',
  limit: number,
  missing: Key[] = [],
): Target {
  const target = `${op} ${show(limit)}`;
  if (measured === undefined)
    return { what, measured: '-', target, met: undefined, note: `${missing.join(', ')} not in BENCH_HTTP_ONLY` };
  const met = op === '>=' ? measured >= limit : op === '<=' ? measured <= limit : measured < limit;
  return { what, measured: show(measured), target, met };
}

/** A figure reported beside the targets, with no bar of its own. */
function reported(what: string, measured: number | undefined, show: (v: number) => string, missing: Key[]): Target {
  if (measured === undefined)
    return { what, measured: '-', target: '-', met: undefined, note: `${missing.join(', ')} not in BENCH_HTTP_ONLY` };
  return { what, measured: show(measured), target: '-', met: undefined, reported: true };
}

const x = (v: number) => `${v.toFixed(2)}x`;
const ms = (v: number) => `${v.toFixed(2)} ms`;
const MB = (v: number) => `${(v / 1e6).toFixed(1)} MB`;

/** A start-up target: set on PostgreSQL, so not measured on PGlite. */
export function startupTarget(what: string, startup: Startup, limitMs: number): Target {
  const onPg = startup.database === POSTGRES;
  return {
    what,
    measured: `${(startup.ms / 1e3).toFixed(2)} s`,
    target: `<= ${limitMs / 1e3} s`,
    met: onPg ? startup.ms <= limitMs : undefined,
    ...(onPg ? {} : { note: `started on ${startup.database}: set DATABASE_URL` }),
  };
}

/** The targets, in bench/README.md's order. */
export function performanceTargets(rows: Row[], runs: Map<Key, Run[]>, startup: Startup): Target[] {
  const row = (k: Key) => rows.find((r) => r.key === k);
  const overFloor = (what: string, k: Key, limit: number, onPostgres = false): Target => {
    const r = row(k);
    const t = bar(what, r?.ratio, x, '>=', limit, [k]);
    if (r && onPostgres && r.database !== POSTGRES)
      return { ...t, met: undefined, note: `ran on ${r.database}: set DATABASE_URL` };
    return t;
  };
  const pair = (what: string, a: Key, b: Key, op: '>=' | '<=', limit: number, figure?: (r: Run) => number) =>
    bar(
      what,
      roundRatio(runs, a, b, figure),
      x,
      op,
      limit,
      [a, b].filter((k) => !runs.has(k)),
    );
  const report = (what: string, a: Key, b: Key, figure?: (r: Run) => number) =>
    reported(
      what,
      roundRatio(runs, a, b, figure),
      x,
      [a, b].filter((k) => !runs.has(k)),
    );
  const p99 = (r: Run) => r.p99;
  // The server's CPU per request: tracing's cost whether or not the server was the bottleneck.
  const cpu = (r: Run) => r.cpuUs;
  const cached = row('cached')!;
  return [
    overFloor('cached ÷ floor', 'cached', 0.5),
    overFloor('304 ÷ floor', '304', 0.55),
    overFloor('list ÷ floor', 'list', 0.4),
    overFloor('miss (PostgreSQL) ÷ floor', 'miss', 0.2, true),
    pair('cached ÷ peer', 'cached', 'peer', '>=', 1.25),
    pair('cached ÷ ideal', 'cached', 'ideal', '>=', 0.9),
    pair('sessions ÷ cached', 'sessions', 'cached', '>=', 0.9),
    pair('es256 ÷ cached', 'es256', 'cached', '>=', 0.95),
    pair('traced10 ÷ cached', 'traced10', 'cached', '>=', 0.9),
    report('tracedAll ÷ cached', 'tracedAll', 'cached'),
    report('traced10 p99 ÷ cached p99', 'traced10', 'cached', p99),
    report('tracedAll p99 ÷ cached p99', 'tracedAll', 'cached', p99),
    report('traced10 CPU µs/req ÷ cached', 'traced10', 'cached', cpu),
    report('tracedAll CPU µs/req ÷ cached', 'tracedAll', 'cached', cpu),
    bar('cached p99 ÷ floor p99', cached.p99Ratio, x, '<=', 2),
    pair('cached p99 ÷ peer p99', 'cached', 'peer', '<=', 1, (r) => r.p99),
    bar('scavenge p99 (cached)', cached.gc.minorP99, ms, '<', 2),
    bar('bytes promoted per request (cached)', cached.gc.promotedPerRequest, (v) => `${v.toFixed(0)} B`, '<', 200),
    bar('heap used max (cached)', cached.gc.heapUsedMax, MB, '<', 64e6),
    bar('GC % of wall time (cached)', cached.gc.gcPct, (v) => `${v.toFixed(1)} %`, '<=', 8),
    startupTarget('start-up, cached (PostgreSQL)', startup, 1500),
  ];
}
