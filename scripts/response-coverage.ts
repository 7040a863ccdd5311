/**
 * The response-coverage gate. Every response a test receives through test/support/contract.ts is
 * validated against the document and its (operationId, status) pair recorded under
 * test-output/responses/. This script compares the recorded pairs with every (operation, status)
 * pair the document declares, writes the table to test-output/response-coverage.md and fails when
 * a documented pair was never produced, unless test/response-coverage-allowlist.yaml lists it with
 * a reason. It also fails on allowlist entries that have gone stale (documented no more, or
 * produced after all), so the allowlist only ever holds what tests truly cannot reach.
 *
 * Run by `npm test` after jest; `npm run coverage:responses` re-reads the last run's records.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { loadDocument } from '../src/pipeline/compile/document';
import { HTTP_METHODS } from '../src/pipeline/compile/operations';

const root = path.resolve(__dirname, '..');
// The environment can point the gate elsewhere (its own tests do); the defaults are the suite's.
const recordsDir = process.env.COVERAGE_RECORDS_DIR ?? path.join(root, 'test-output', 'responses');
const allowlistFile = process.env.COVERAGE_ALLOWLIST ?? path.join(root, 'test', 'response-coverage-allowlist.yaml');
const tableFile = process.env.COVERAGE_TABLE ?? path.join(root, 'test-output', 'response-coverage.md');

interface AllowEntry {
  operationId: string;
  status: number;
  reason: string;
}

function documentedPairs(): Map<string, number[]> {
  // biome-ignore lint/suspicious/noExplicitAny: walks the raw document, whose shape the loop checks
  const doc = loadDocument() as any;
  const out = new Map<string, number[]>();
  // biome-ignore lint/suspicious/noExplicitAny: path items of the raw document
  for (const item of Object.values<any>(doc.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!op) continue;
      const statuses = Object.keys(op.responses ?? {})
        .filter((s) => /^\d{3}$/.test(s))
        .map(Number)
        .sort((a, b) => a - b);
      out.set(op.operationId, statuses);
    }
  }
  return out;
}

function producedPairs(): Set<string> {
  const out = new Set<string>();
  if (!fs.existsSync(recordsDir)) return out;
  for (const file of fs.readdirSync(recordsDir)) {
    for (const line of fs.readFileSync(path.join(recordsDir, file), 'utf8').split('\n')) {
      if (!line) continue;
      const { operationId, status } = JSON.parse(line) as { operationId: string; status: number };
      out.add(`${operationId} ${status}`);
    }
  }
  return out;
}

function readAllowlist(documented: Map<string, number[]>): { entries: AllowEntry[]; errors: string[] } {
  const raw = YAML.parse(fs.readFileSync(allowlistFile, 'utf8')) as { allow?: unknown };
  const errors: string[] = [];
  const entries: AllowEntry[] = [];
  if (!raw || !Array.isArray(raw.allow))
    return { entries, errors: [`${allowlistFile}: expected a top-level "allow" list`] };
  // biome-ignore lint/suspicious/noExplicitAny: each entry's shape is checked below
  for (const [i, e] of (raw.allow as any[]).entries()) {
    const where = `allow[${i}]`;
    if (
      typeof e?.status !== 'number' ||
      typeof e?.operationId !== 'string' ||
      typeof e?.reason !== 'string' ||
      e.reason.trim().length < 10
    ) {
      errors.push(`${where}: needs operationId ("*" for all), a numeric status and a reason of a few words`);
      continue;
    }
    if (e.operationId !== '*' && !documented.has(e.operationId))
      errors.push(`${where}: ${e.operationId} is not an operation of the document`);
    entries.push(e as AllowEntry);
  }
  return { entries, errors };
}

/** How the documented pairs fared: one table row per operation, the pairs never produced, the tallies. */
interface Coverage {
  rows: string[];
  missing: string[];
  total: number;
  hit: number;
  allowed: number;
  /** The allowlist entries that excused a pair the tests did not produce. */
  usedEntries: Set<AllowEntry>;
}

/** Exits with a hint when there are no records at all: the jest suite has not run. */
function requireRecords(produced: Set<string>): void {
  if (produced.size > 0) return;
  process.stderr.write(
    `response coverage: no records in ${path.relative(root, recordsDir)}: run the whole jest suite first (npm test)\n`,
  );
  process.exit(1);
}

/**
 * Sorts every documented pair into produced, allowlisted or missing, operation by operation; adds to
 * `errors` each produced pair that an entry names by its operationId (not through '*').
 */
function compare(
  documented: Map<string, number[]>,
  produced: Set<string>,
  entries: AllowEntry[],
  errors: string[],
): Coverage {
  const allowedBy = (op: string, status: number) =>
    entries.find((e) => e.status === status && (e.operationId === op || e.operationId === '*'));
  const coverage: Coverage = { rows: [], missing: [], total: 0, hit: 0, allowed: 0, usedEntries: new Set() };
  for (const [op, statuses] of [...documented].sort(([a], [b]) => a.localeCompare(b))) {
    const cells: string[] = [];
    for (const status of statuses) {
      coverage.total++;
      const entry = allowedBy(op, status);
      if (produced.has(`${op} ${status}`)) {
        coverage.hit++;
        cells.push(`${status} ✔`);
        if (entry && entry.operationId !== '*')
          errors.push(`allowlisted pair ${op} ${status} is produced by the tests: remove it from the allowlist`);
      } else if (entry) {
        coverage.allowed++;
        coverage.usedEntries.add(entry);
        cells.push(`${status} allowed`);
      } else {
        coverage.missing.push(`${op} ${status}`);
        cells.push(`**${status} MISSING**`);
      }
    }
    coverage.rows.push(`| ${op} | ${cells.join(', ')} |`);
  }
  return coverage;
}

/** Adds to `errors` each allowlist entry that excused nothing, unless an error names its pair already. */
function flagUnusedEntries(entries: AllowEntry[], usedEntries: Set<AllowEntry>, errors: string[]): void {
  for (const e of entries) {
    if (!usedEntries.has(e) && !errors.some((m) => m.includes(`${e.operationId} ${e.status}`))) {
      errors.push(`allowlist entry ${e.operationId} ${e.status} matches no documented pair that tests miss: remove it`);
    }
  }
}

/** The markdown report: the summary, a row per operation, then the allowlist with its reasons. */
function coverageTable(summary: string, rows: string[], entries: AllowEntry[]): string {
  return [
    '# Response coverage',
    '',
    summary,
    '',
    '| operationId | documented statuses |',
    '|---|---|',
    ...rows,
    '',
    ...(entries.length
      ? [
          '## Allowlist (test/response-coverage-allowlist.yaml)',
          '',
          ...entries.map((e) => `- ${e.operationId} ${e.status}: ${e.reason.trim()}`),
          '',
        ]
      : []),
  ].join('\n');
}

function main(): void {
  const documented = documentedPairs();
  const produced = producedPairs();
  requireRecords(produced);
  const { entries, errors } = readAllowlist(documented);
  const { rows, missing, total, hit, allowed, usedEntries } = compare(documented, produced, entries, errors);
  flagUnusedEntries(entries, usedEntries, errors);
  // Pairs the tests produced that the document does not declare cannot exist: contract.ts throws
  // on an undocumented status before recording it.

  const summary = `documented pairs: ${total}; produced by tests: ${hit}; allowlisted: ${allowed}; missing: ${missing.length}`;
  fs.mkdirSync(path.dirname(tableFile), { recursive: true });
  fs.writeFileSync(tableFile, coverageTable(summary, rows, entries));
  process.stdout.write(`response coverage: ${summary} (table: ${path.relative(root, tableFile)})\n`);
  for (const m of missing) process.stderr.write(`  never produced: ${m}\n`);
  for (const e of errors) process.stderr.write(`  allowlist: ${e}\n`);
  if (missing.length || errors.length) process.exit(1);
}

main();
