/**
 * Writes a bench:http run to `BENCH_HTTP_RESULTS_DIR` (default bench/results/): the same figures as
 * the terminal, as JSON (http-<time>.json) and markdown (http-<time>.md), each also copied to
 * http-latest.json / http-latest.md. bench/results/README.md describes the files.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportLines, type TracedExports } from './http-exports';
import { gcTableCells } from './http-gc-report';
import type { Row, Target } from './http-report';
import { tableCells, verdictOf } from './http-report';

/** Everything a results file holds. */
export interface Results {
  /** ISO time the run finished. */
  date: string;
  /** The heading lines printed above the table: machine, settings, pinning, database, start-up. */
  heading: string[];
  settings: Record<string, unknown>;
  startup: { ms: number; database: string; phases: Record<string, number> };
  rows: Row[];
  targets: Target[];
  /** Same-round ratios (req/s, and cached p99 ÷ peer p99), medians over the rounds; undefined when not run. */
  ratios: Record<string, number | undefined>;
  /** What the traced services exported to the OTLP sink (http-exports.ts); absent when none ran. */
  exports?: TracedExports | undefined;
}

/** Writes the JSON and markdown files and their `latest` copies; resolves to the markdown's path. */
export function writeResults(dir: string, results: Results): string {
  mkdirSync(dir, { recursive: true });
  const stem = path.join(dir, `http-${results.date.replace(/[:.]/g, '-')}`);
  writeFileSync(`${stem}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${stem}.md`, markdown(results));
  copyFileSync(`${stem}.json`, path.join(dir, 'http-latest.json'));
  copyFileSync(`${stem}.md`, path.join(dir, 'http-latest.md'));
  return `${stem}.md`;
}

const cell = (s: string) => s.replace(/\|/g, '\\|');
const mdRow = (cs: string[]) => `| ${cs.map(cell).join(' | ')} |`;

/** A markdown table: the `left` columns left-aligned, the others right. */
function mdTable({ header, cells }: { header: string[]; cells: string[][] }, left: (i: number) => boolean): string[] {
  return [mdRow(header), mdRow(header.map((_, i) => (left(i) ? '---' : '---:'))), ...cells.map(mdRow)];
}

function markdown(r: Results): string {
  const table = tableCells(r.rows);
  const out = [
    `# bench:http ${r.date}`,
    '',
    ...r.heading.map((l) => `- ${l}`),
    '',
    ...mdTable(table, (i) => i < 2 || i === table.header.length - 1),
    '',
    '## Garbage collection (each server, over its measured runs)',
    '',
    ...mdTable(gcTableCells(r.rows), (i) => i === 0),
    '',
    '## Performance targets',
    '',
    mdRow(['target', 'measured', 'bar', 'verdict']),
    mdRow(['---', '---:', '---', '---']),
    ...r.targets.map((t) => mdRow([t.what, t.measured, t.target, `${verdictOf(t)}${t.note ? ` (${t.note})` : ''}`])),
    '',
    '## Checks',
    '',
    ...r.rows.map(
      (row) =>
        `- ${row.label}: ${row.requests.join(' / ')} requests; ${row.problems.length ? `PROBLEMS: ${row.problems.join('; ')}` : 'all checks passed'}${row.warnings.map((w) => `; WARNING: ${w}`).join('')}`,
    ),
    '',
    ...(r.exports
      ? [
          '## Traces exported',
          '',
          ...exportLines(r.exports)
            .slice(1)
            .map((l) => `- ${l.trim()}`),
          '',
        ]
      : []),
  ];
  return out.join('\n');
}
