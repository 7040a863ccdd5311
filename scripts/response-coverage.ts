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

function main(): void {
  const documented = documentedPairs();
  const produced = producedPairs();
  if (produced.size === 0) {
    process.stderr.write(
      `response coverage: no records in ${path.relative(root, recordsDir)}: run the whole jest suite first (npm test)\n`,
    );
    process.exit(1);
  }
  const { entries, errors } = readAllowlist(documented);
  const allowedBy = (op: string, status: number) =>
    entries.find((e) => e.status === status && (e.operationId === op || e.operationId === '*'));
  const usedEntries = new Set<AllowEntry>();

  const rows: string[] = [];
  const missing: string[] = [];
  let total = 0;
  let hit = 0;
  let allowed = 0;
  for (const [op, statuses] of [...documented].sort(([a], [b]) => a.localeCompare(b))) {
    const cells: string[] = [];
    for (const status of statuses) {
      total++;
      const entry = allowedBy(op, status);
      if (produced.has(`${op} ${status}`)) {
        hit++;
        cells.push(`${status} ✔`);
        if (entry && entry.operationId !== '*')
          errors.push(`allowlisted pair ${op} ${status} is produced by the tests: remove it from the allowlist`);
      } else if (entry) {
        allowed++;
        usedEntries.add(entry);
        cells.push(`${status} allowed`);
      } else {
        missing.push(`${op} ${status}`);
        cells.push(`**${status} MISSING**`);
      }
    }
    rows.push(`| ${op} | ${cells.join(', ')} |`);
  }
  for (const e of entries) {
    if (!usedEntries.has(e) && !errors.some((m) => m.includes(`${e.operationId} ${e.status}`))) {
      errors.push(`allowlist entry ${e.operationId} ${e.status} matches no documented pair that tests miss: remove it`);
    }
  }
  // Pairs the tests produced that the document does not declare cannot exist: contract.ts throws
  // on an undocumented status before recording it.

  const summary = `documented pairs: ${total}; produced by tests: ${hit}; allowlisted: ${allowed}; missing: ${missing.length}`;
  const table = [
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
  fs.mkdirSync(path.dirname(tableFile), { recursive: true });
  fs.writeFileSync(tableFile, table);
  process.stdout.write(`response coverage: ${summary} (table: ${path.relative(root, tableFile)})\n`);
  for (const m of missing) process.stderr.write(`  never produced: ${m}\n`);
  for (const e of errors) process.stderr.write(`  allowlist: ${e}\n`);
  if (missing.length || errors.length) process.exit(1);
}

main();
