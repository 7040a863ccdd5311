/**
 * bench:http's figures: one row of medians over the rounds per scenario (its GC figures:
 * http-gc-report.ts), the performance targets against them, and both as text for the terminal.
 * (http-results.ts writes them to files.)
 */

import { fmtInt, type Key, median, type Run, type Scenario } from './http-common';
import { type GcRow, gcRow, gcTableCells } from './http-gc-report';
import { mix } from './http-load';

/** One scenario's figures: medians over the rounds; each round's ratios are to that round's floor. */
export interface Row {
  key: Key;
  label: string;
  database: string;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  /** req/s ÷ the floor's: the figure the targets are about. */
  ratio: number;
  perRound: number[];
  /** p99 ÷ the floor's p99. */
  p99Ratio: number;
  cpuUs: number;
  /** The floor's server CPU µs/req ÷ this server's. */
  cpuRatio: number;
  gc: GcRow;
  loadgenPct: number;
  xCache: string;
  requests: number[];
  problems: string[];
  warnings: string[];
}

/**
 * One performance target: the figure measured, the bar, and whether it is met (undefined: not
 * measured, or `reported`: a figure shown beside the targets with no bar).
 */
export interface Target {
  what: string;
  measured: string;
  target: string;
  met: boolean | undefined;
  reported?: boolean;
  note?: string;
}

/** The rows of the table, in the scenarios' order. */
export function summarise(scenarios: Scenario[], runs: Map<Key, Run[]>): Row[] {
  const floor = runs.get('floor')!;
  return scenarios.map(({ key, label, database }) => {
    const rs = runs.get(key)!;
    const med = (f: (r: Run) => number) => median(rs.map(f));
    const perRound = rs.map((r, i) => r.rps / floor[i]!.rps);
    const xCache: Record<string, number> = {};
    for (const r of rs) for (const [k, v] of Object.entries(r.xCache)) xCache[k] = (xCache[k] ?? 0) + v;
    return {
      key,
      label,
      database,
      rps: med((r) => r.rps),
      p50: med((r) => r.p50),
      p99: med((r) => r.p99),
      max: med((r) => r.max),
      ratio: median(perRound),
      perRound,
      p99Ratio: median(rs.map((r, i) => r.p99 / floor[i]!.p99)),
      cpuUs: med((r) => r.cpuUs),
      cpuRatio: median(rs.map((r, i) => floor[i]!.cpuUs / r.cpuUs)),
      gc: gcRow(rs),
      loadgenPct: med((r) => r.loadgenPct),
      xCache: mix(xCache),
      requests: rs.map((r) => r.requests),
      problems: [...new Set(rs.flatMap((r) => r.problems))],
      warnings: [...new Set(rs.flatMap((r) => r.warnings))],
    };
  });
}

/** Column headers and cells of the table (the same for the terminal and markdown). */
export function tableCells(rows: Row[]): { header: string[]; cells: string[][] } {
  const header = [
    'scenario',
    'database',
    'req/s',
    'p50 ms',
    'p99 ms',
    'max ms',
    'ratio to floor',
    'per round',
    'p99 ÷ floor p99',
    'server CPU µs/req',
    'CPU ratio',
    'loadgen CPU %',
    'X-Cache in run',
  ];
  const cells = rows.map((r) => [
    r.label,
    r.database,
    fmtInt(r.rps),
    r.p50.toFixed(2),
    r.p99.toFixed(2),
    r.max.toFixed(1),
    r.ratio.toFixed(2),
    r.perRound.map((x) => x.toFixed(2)).join(' '),
    r.p99Ratio.toFixed(2),
    fmtInt(r.cpuUs),
    r.cpuRatio.toFixed(2),
    fmtInt(r.loadgenPct),
    r.xCache,
  ]);
  return { header, cells };
}

/** The main table in aligned columns: text left, figures right. */
export function textTable(rows: Row[]): string[] {
  const table = tableCells(rows);
  return aligned(table, new Set([0, 1, table.header.length - 1]));
}
/** The GC table in aligned columns. */
export const gcTextTable = (rows: Row[]) => aligned(gcTableCells(rows), new Set([0]));

/** Cells in aligned columns: the `left` ones left-aligned, the others right. */
function aligned({ header, cells }: { header: string[]; cells: string[][] }, left: Set<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (cs: string[]) =>
    cs
      .map((c, i) => (left.has(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('   ')
      .trimEnd();
  return [line(header), ...cells.map(line)];
}

/** Per scenario, its requests in each round and whether every check passed, then its warnings. */
export function checkLines(rows: Row[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    const verdict = r.problems.length ? `; PROBLEMS: ${r.problems.join('; ')}` : ', all checks passed';
    out.push(`  ${r.label}: ${r.requests.map(fmtInt).join(' / ')} requests${verdict}`);
    for (const w of r.warnings) out.push(`    WARNING: ${w}`);
  }
  return out;
}

/** The targets as aligned lines: what, measured, target, met / NOT met / not measured. */
export function targetLines(targets: Target[]): string[] {
  const w = [0, 1, 2].map((i) => Math.max(...targets.map((t) => [t.what, t.measured, t.target][i]!.length)));
  return targets.map((t) =>
    [
      `  ${t.what.padEnd(w[0]!)}`,
      t.measured.padStart(w[1]!),
      t.target.padEnd(w[2]!),
      `${verdictOf(t)}${t.note ? ` (${t.note})` : ''}`,
    ].join('   '),
  );
}

export const verdictOf = (t: Target) =>
  t.met === undefined ? (t.reported ? 'reported' : 'not measured') : t.met ? 'met' : 'NOT met';
