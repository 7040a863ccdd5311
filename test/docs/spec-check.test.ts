/**
 * scripts/check-generated.ts (the part of `npm run spec:check` after the lint): passes on the
 * project's document, and fails, naming the check, on broken copies of it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';

const root = path.resolve(__dirname, '..', '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
const source = fs.readFileSync(path.join(root, 'openapi', 'openapi.yaml'), 'utf8');

jest.setTimeout(180_000);

let tmp: string;
beforeAll(() => void (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'specgate-spec-check-'))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function check(documentPath?: string) {
  const res = spawnSync(tsx, ['scripts/check-generated.ts', ...(documentPath ? [documentPath] : [])], {
    cwd: root,
    encoding: 'utf8',
    timeout: 170_000,
  });
  const lines = res.stdout.split('\n').filter(Boolean);
  const status = (name: string) =>
    lines
      .find((l) => l.slice(5).startsWith(`${name}:`))
      ?.slice(0, 4)
      .trim();
  return { status: res.status, stdout: res.stdout, stderr: res.stderr, lines, check: status };
}

/** A copy of the project's document, changed by `edit`, written next to nothing else. */
function brokenCopy(name: string, edit: (doc: any) => void): string {
  const doc = YAML.parse(source);
  edit(doc);
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(file, YAML.stringify(doc));
  return file;
}

describe('spec:check (scripts/check-generated.ts)', () => {
  it('passes on openapi/openapi.yaml with one line per check', () => {
    const res = check();
    expect({ status: res.status, stderr: res.stderr }).toEqual({ status: 0, stderr: '' });
    expect(res.lines.map((l) => l.slice(0, 5) + l.slice(5).split(':')[0])).toEqual([
      'ok   types',
      'ok   bundle',
      'ok   schema',
      'ok   compile',
      'ok   same',
    ]);
  });

  it('fails on a copy with an unresolvable $ref', () => {
    const file = brokenCopy('bad-ref', (doc) => {
      doc.components.schemas.Broken = { $ref: '#/components/schemas/DoesNotExist' };
      const op = doc.paths['/healthz'].get;
      op.responses['200'].content['application/json'].schema = { $ref: '#/components/schemas/Broken' };
    });
    const res = check(file);
    expect(res.status).toBe(1);
    // redocly bundle refuses it (and so nothing downstream can pass), naming the reference.
    expect(res.check('bundle')).toBe('FAIL');
    expect(['schema', 'compile', 'same'].map(res.check)).toEqual(['FAIL', 'FAIL', 'FAIL']);
    expect(res.stdout).toMatch(/Can't resolve \$ref/);
  });

  it('fails on a copy with a schema of the wrong type', () => {
    const file = brokenCopy('bad-type', (doc) => {
      doc.components.schemas.Wrong = { type: 'strng' };
      doc.paths['/healthz'].get.responses['200'].content['application/json'].schema = {
        $ref: '#/components/schemas/Wrong',
      };
    });
    const res = check(file);
    expect(res.status).toBe(1);
    expect(res.check('schema')).toBe('FAIL');
    expect(res.check('compile')).toBe('FAIL');
    expect(res.stdout).toMatch(/#\/components\/schemas\/Wrong/);
  });

  it('fails on a copy that is not OpenAPI 3.1', () => {
    const file = brokenCopy('not-3.1', (doc) => void (doc.openapi = '3.0.3'));
    const res = check(file);
    expect(res.status).toBe(1);
    expect(res.check('schema')).toBe('FAIL');
    expect(res.check('same')).toBe('FAIL'); // the service refuses to load it at all
  });
});
