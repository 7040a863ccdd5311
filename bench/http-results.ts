/**
 * Writes a bench:http run to `BENCH_HTTP_RESULTS_DIR` (default bench/results/): the same figures as
 * the terminal, as JSON (http-<time>.json) and markdown (http-<time>.md), each also copied to
 * http-latest.json / http-latest.md. bench/results/README.md describes the files.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
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
  cachedOverPeer: number | undefined;
  /** Cached read with ES256 keys ÷ with HS256 (req/s, median of the rounds); undefined when not run. */
  es256OverHs256?: number | undefined;
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

function markdown(r: Results): string {
  const { header, cells } = tableCells(r.rows);
  const out = [
    `# bench:http ${r.date}`,
    '',
    ...r.heading.map((l) => `- ${l}`),
    '',
    mdRow(header),
    mdRow(header.map((_, i) => (i < 2 || i === header.length - 1 ? '---' : '---:'))),
    ...cells.map(mdRow),
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
  ];
  return out.join('\n');
}
