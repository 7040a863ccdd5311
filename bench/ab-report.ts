/**
 * bench:ab's report (ab.ts): each side's medians over the rounds, then B ÷ A within each round
 * (req/s, p99, server CPU per request) with their medians, and the 2 % bar, reported and never
 * failing the run. The same goes to `<results dir>/ab-<time>.json` and ab-latest.json.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fmtInt, median, type Run } from './http-common';

export interface AbSide {
  label: string;
  runs: Run[];
  problems: string[];
  warnings: string[];
}

export interface AbResults {
  date: string;
  a: { rev: string; sha: string; subject: string; nodeModules: string };
  b: { sha: string; dirty: boolean };
  /** Both sides ran with this tree's start flags; true when A's package.json had others. */
  startScriptsDiffer: boolean;
  settings: { rounds: number; duration: number; warmup: number; connections: number };
  loadgen: string;
  pinning: string;
  database: string;
  sides: [AbSide, AbSide];
}

/** B ÷ A is at most 2 % below 1: "within 2 % of today". */
const BAR = 0.98;

/** Each round's B figure ÷ A's. */
const perRound = (r: AbResults, f: (run: Run) => number) =>
  r.sides[1].runs.map((b, i) => f(b) / f(r.sides[0].runs[i]!));

/** The first and third quartiles (medians of the lower and upper halves). */
function quartiles(xs: number[]): [number, number] {
  const s = [...xs].sort((a, b) => a - b);
  const half = Math.floor(s.length / 2);
  return [median(s.slice(0, Math.max(1, half))), median(s.slice(s.length - Math.max(1, half)))];
}

export function abLines(r: AbResults): string[] {
  const [a, b] = r.sides;
  const { rounds, warmup, duration, connections } = r.settings;
  const load = os.loadavg().map((l) => l.toFixed(2));
  const cells = (s: AbSide) => {
    const med = (f: (run: Run) => number) => median(s.runs.map(f));
    return [
      s.label,
      fmtInt(med((x) => x.rps)),
      med((x) => x.p50).toFixed(2),
      med((x) => x.p99).toFixed(2),
      fmtInt(med((x) => x.cpuUs)),
      med((x) => x.gcPct).toFixed(1),
      fmtInt(med((x) => x.loadgenPct)),
    ];
  };
  const rows = [
    ['side', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'GC %', 'loadgen CPU %'],
    cells(a),
    cells(b),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const table = rows.map((row) =>
    row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   '),
  );
  const ratioLine = (what: string, xs: number[]) =>
    `  ${what.padEnd(28)} ${median(xs).toFixed(3)}   per round ${xs.map((x) => x.toFixed(3)).join(' ')}   (least ${Math.min(...xs).toFixed(3)}, most ${Math.max(...xs).toFixed(3)})`;
  const rps = perRound(r, (x) => x.rps);
  const met = median(rps) >= BAR;
  const [q1, q3] = quartiles(rps);
  // When the middle half of the rounds is wider than the bar's margin, the median alone cannot tell.
  const spread =
    q3 - q1 > 2 * (1 - BAR)
      ? `; inconclusive at this noise: the middle half of the rounds spans ${q1.toFixed(3)} to ${q3.toFixed(3)}, wider than ±${((1 - BAR) * 100).toFixed(0)} %`
      : `; the middle half of the rounds spans ${q1.toFixed(3)} to ${q3.toFixed(3)}`;
  return [
    `bench:ab  node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} (${os.cpus().length} logical CPUs), load average ${load.join(' ')} (1, 5, 15 min, at the end)`,
    `A: ${r.a.rev} = ${r.a.sha.slice(0, 8)} "${r.a.subject.length > 72 ? `${r.a.subject.slice(0, 71)}…` : r.a.subject}" (a git worktree; node_modules ${r.a.nodeModules})`,
    `B: this tree, ${r.b.sha.slice(0, 8)}${r.b.dirty ? ' with uncommitted changes' : ''}`,
    `load: ${r.loadgen}, ${connections} connections; ${rounds} rounds of ${warmup} s warm-up + ${duration} s measured per side, in the order A B, B A, A B, …`,
    `pinning: ${r.pinning}`,
    `database: ${r.database}`,
    ...(r.startScriptsDiffer
      ? ["NOTE: A's package.json start script differs from this tree's; both sides ran with this tree's node flags"]
      : []),
    '',
    ...table,
    '',
    "B ÷ A, each round's figures taken within the round, median over the rounds:",
    ratioLine('req/s', rps),
    ratioLine(
      'p99',
      perRound(r, (x) => x.p99),
    ),
    ratioLine(
      'server CPU µs/req',
      perRound(r, (x) => x.cpuUs),
    ),
    `  B within 2 % of A (req/s B ÷ A >= ${BAR}): ${met ? 'met' : 'NOT met'}${spread} (reported, never failing the run)`,
    '',
    ...r.sides.map(
      (s) =>
        `  ${s.label}: ${s.runs.map((x) => fmtInt(x.requests)).join(' / ')} requests${s.problems.length ? `; PROBLEMS: ${s.problems.join('; ')}` : ', all checks passed'}${s.warnings.map((w) => `\n    WARNING: ${w}`).join('')}`,
    ),
  ];
}

/** Writes ab-<time>.json and its ab-latest.json copy; resolves to the first's path. */
export function writeAbResults(dir: string, results: AbResults): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `ab-${results.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  copyFileSync(file, path.join(dir, 'ab-latest.json'));
  return file;
}
