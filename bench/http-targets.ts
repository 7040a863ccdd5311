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

/** Each round's req/s of the cached read with ES256 keys ÷ with HS256, median; undefined without es256. */
export function es256OverHs256(runs: Map<Key, Run[]>): number | undefined {
  const es256 = runs.get('es256');
  if (!es256) return undefined;
  return median(es256.map((r, i) => r.rps / runs.get('cached')![i]!.rps));
}

/** Each round's cached req/s ÷ the peer's, median; undefined without a peer. */
export function cachedOverPeer(runs: Map<Key, Run[]>): number | undefined {
  const peer = runs.get('peer');
  if (!peer) return undefined;
  return median(runs.get('cached')!.map((r, i) => r.rps / peer[i]!.rps));
}

/** The targets, in bench/README.md's order. */
export function performanceTargets(rows: Row[], runs: Map<Key, Run[]>, startup: Startup): Target[] {
  const row = (k: Key) => rows.find((r) => r.key === k);
  const atLeast = (what: string, k: Key, bar: number, onPostgres = false): Target => {
    const r = row(k);
    const t: Target = { what, measured: r ? `${r.ratio.toFixed(2)}x` : '-', target: `>= ${bar}x`, met: undefined };
    if (!r) return { ...t, note: `${k} not in BENCH_HTTP_ONLY` };
    if (onPostgres && r.database !== POSTGRES) return { ...t, note: `ran on ${r.database}: set DATABASE_URL` };
    return { ...t, met: r.ratio >= bar };
  };
  const cached = row('cached')!;
  const peer = cachedOverPeer(runs);
  const onPg = startup.database === POSTGRES;
  return [
    atLeast('cached ÷ floor', 'cached', 0.5),
    {
      what: 'cached p99 ÷ floor p99',
      measured: `${cached.p99Ratio.toFixed(2)}x`,
      target: '<= 3x',
      met: cached.p99Ratio <= 3,
    },
    atLeast('304 ÷ floor', '304', 0.55),
    atLeast('list ÷ floor', 'list', 0.4),
    atLeast('miss (PostgreSQL) ÷ floor', 'miss', 0.2, true),
    peer === undefined
      ? {
          what: 'cached ÷ peer',
          measured: '-',
          target: '>= 1.25x',
          met: undefined,
          note: 'peer not in BENCH_HTTP_ONLY',
        }
      : { what: 'cached ÷ peer', measured: `${peer.toFixed(2)}x`, target: '>= 1.25x', met: peer >= 1.25 },
    {
      what: 'GC % of wall time (cached)',
      measured: `${cached.gcPct.toFixed(1)} %`,
      target: '<= 8 %',
      met: cached.gcPct <= 8,
    },
    {
      what: 'start-up, cached (PostgreSQL)',
      measured: `${(startup.ms / 1e3).toFixed(2)} s`,
      target: '<= 1.5 s',
      met: onPg ? startup.ms <= 1500 : undefined,
      ...(onPg ? {} : { note: `started on ${startup.database}: set DATABASE_URL` }),
    },
  ];
}
