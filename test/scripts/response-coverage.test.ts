/**
 * The response-coverage gate (scripts/response-coverage.ts, run by `npm test` after jest): given
 * records of the (operationId, status) pairs tests produced, it passes only when every documented
 * pair was produced or is allowlisted with a reason, and it refuses stale allowlist entries.
 * Driven on synthetic records and allowlists, against the project's document.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDocument } from '../../src/pipeline/compile/document';
import { compileOperations } from '../../src/pipeline/compile/operations';

const root = path.resolve(__dirname, '..', '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
const documented = compileOperations(loadDocument()).flatMap((op) =>
  [...op.responses.keys()].map((status) => ({ operationId: op.operationId, status: Number(status) })),
);

jest.setTimeout(60_000);

let tmp: string;
beforeEach(() => void (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'specgate-coverage-'))));
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs the gate over `produced` (split across two worker files, as jest writes them) and `allow`. */
function gate(produced: { operationId: string; status: number }[], allow: string) {
  const records = fs.mkdtempSync(path.join(tmp, 'responses-'));
  const half = Math.ceil(produced.length / 2);
  for (const [i, part] of [produced.slice(0, half), produced.slice(half)].entries()) {
    fs.writeFileSync(path.join(records, `${1000 + i}.jsonl`), part.map((p) => `${JSON.stringify(p)}\n`).join(''));
  }
  fs.writeFileSync(path.join(tmp, 'allow.yaml'), allow);
  const table = path.join(tmp, 'table.md');
  const res = spawnSync(tsx, ['scripts/response-coverage.ts'], {
    cwd: root,
    encoding: 'utf8',
    env: {
      ...process.env,
      COVERAGE_RECORDS_DIR: records,
      COVERAGE_ALLOWLIST: path.join(tmp, 'allow.yaml'),
      COVERAGE_TABLE: table,
    },
  });
  return {
    status: res.status,
    stdout: res.stdout,
    stderr: res.stderr,
    table: fs.existsSync(table) ? fs.readFileSync(table, 'utf8') : '',
  };
}

const ALLOW_500 = `allow:\n  - operationId: '*'\n    status: 500\n    reason: no correct request reaches the unexpected-error answer\n`;
const not500 = documented.filter((p) => p.status !== 500);

it('passes when every documented pair is produced or allowlisted, and writes the table with totals', () => {
  const res = gate(not500, ALLOW_500);
  expect(res.status).toBe(0);
  const allowed = documented.length - not500.length;
  expect(res.stdout).toContain(
    `documented pairs: ${documented.length}; produced by tests: ${not500.length}; allowlisted: ${allowed}; missing: 0`,
  );
  expect(res.table).toContain('| getItem | ');
  expect(res.table).toMatch(/500 allowed/);
});

it('fails naming a documented pair no test produced', () => {
  const dropped = not500.find((p) => p.operationId === 'updateItem' && p.status === 412)!;
  const res = gate(
    not500.filter((p) => p !== dropped),
    ALLOW_500,
  );
  expect(res.status).toBe(1);
  expect(res.stderr).toContain('never produced: updateItem 412');
  expect(res.table).toContain('**412 MISSING**');
});

it('fails without records (jest did not run) rather than passing on nothing', () => {
  const res = gate([], ALLOW_500);
  expect(res.status).toBe(1);
  expect(res.stderr).toMatch(/no records/);
});

it('refuses allowlist entries without a reason, for unknown operations, or for pairs the tests produce', () => {
  const noReason = gate(not500, `allow:\n  - operationId: '*'\n    status: 500\n`);
  expect(noReason.status).toBe(1);
  expect(noReason.stderr).toMatch(/reason/);

  const unknown = gate(
    not500,
    `${ALLOW_500}  - operationId: noSuchOperation\n    status: 404\n    reason: an operation that does not exist\n`,
  );
  expect(unknown.status).toBe(1);
  expect(unknown.stderr).toContain('noSuchOperation is not an operation of the document');

  const stale = gate(
    not500,
    `${ALLOW_500}  - operationId: getItem\n    status: 404\n    reason: once thought unreachable, now tested\n`,
  );
  expect(stale.status).toBe(1);
  expect(stale.stderr).toContain('allowlisted pair getItem 404 is produced by the tests');
});
