/**
 * bench:http's second table: each scenario's garbage collection over its measured runs (gc-run.ts),
 * medians over the rounds; every run's own figures go to the results files.
 */
import { fmtInt, median, type Run } from './http-common';
import type { Row } from './http-report';

/** One scenario's GC figures: medians over the rounds (ms, bytes). */
export interface GcRow {
  /** Minor GCs (scavenges) per measured run, and their pauses. */
  minorCount: number;
  minorP50: number;
  minorP99: number;
  minorMax: number;
  /** Full (mark-compact) GCs per measured run, and the longest pause. */
  fullCount: number;
  fullMax: number;
  /** Bytes the minor GCs moved to the old generation ÷ responses written. */
  promotedPerRequest: number;
  heapUsedMedian: number;
  heapUsedMax: number;
  /** RSS at the end of the measured run. */
  rss: number;
  /** Main-thread GC time ÷ the run's wall time, %. */
  gcPct: number;
  /** Each round's own figures. */
  perRound: Run['gc'][];
}

export function gcRow(rs: Run[]): GcRow {
  const med = (f: (g: Run['gc']) => number) => median(rs.map((r) => f(r.gc)));
  return {
    minorCount: med((g) => g.minor.count),
    minorP50: med((g) => g.minor.p50),
    minorP99: med((g) => g.minor.p99),
    minorMax: med((g) => g.minor.max),
    fullCount: med((g) => g.full.count),
    fullMax: med((g) => g.full.max),
    promotedPerRequest: med((g) => g.promotedPerRequest),
    heapUsedMedian: med((g) => g.heapUsed.median),
    heapUsedMax: med((g) => g.heapUsed.max),
    rss: med((g) => g.rss),
    gcPct: median(rs.map((r) => r.gcPct)),
    perRound: rs.map((r) => r.gc),
  };
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

/** Column headers and cells of the GC table (the same for the terminal and markdown). */
export function gcTableCells(rows: Row[]): { header: string[]; cells: string[][] } {
  const header = [
    'scenario',
    'scavenges',
    'scavenge p50 ms',
    'p99 ms',
    'max ms',
    'mark-compacts',
    'max ms',
    'promoted B/req',
    'heap used median MB',
    'max MB',
    'RSS MB',
    'GC %',
  ];
  const cells = rows.map(({ label, gc: g }) => [
    label,
    fmtInt(g.minorCount),
    g.minorP50.toFixed(2),
    g.minorP99.toFixed(2),
    g.minorMax.toFixed(2),
    fmtInt(g.fullCount),
    g.fullMax.toFixed(1),
    fmtInt(g.promotedPerRequest),
    mb(g.heapUsedMedian),
    mb(g.heapUsedMax),
    mb(g.rss),
    g.gcPct.toFixed(1),
  ]);
  return { header, cells };
}
