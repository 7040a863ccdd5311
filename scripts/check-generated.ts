/**
 * Fails when generated/openapi.d.ts is not what `npm run generate` would write now: the types
 * must never drift from the document.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'specgate-gen-'));
const out = path.join(tmp, 'openapi.d.ts');
const bin = path.join(root, 'node_modules', '.bin', 'openapi-typescript');
const run = spawnSync(bin, ['openapi/openapi.yaml', '-o', out], { cwd: root, encoding: 'utf8' });
if (run.status !== 0) {
  process.stderr.write(run.stderr || run.stdout);
  process.exit(1);
}
const fresh = fs.readFileSync(out, 'utf8');
fs.rmSync(tmp, { recursive: true, force: true });
const committed = fs.readFileSync(path.join(root, 'generated', 'openapi.d.ts'), 'utf8');
if (fresh !== committed) {
  process.stderr.write('generated/openapi.d.ts is stale: run `npm run generate` and commit the result.\n');
  process.exit(1);
}
process.stdout.write('generated/openapi.d.ts matches openapi/openapi.yaml\n');
