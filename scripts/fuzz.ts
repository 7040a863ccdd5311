/**
 * npm run fuzz: a longer property-based fuzzing campaign (test/fuzz) with a random seed.
 *
 *   npm run fuzz                      random seed, 50× the CI runs per property
 *   FUZZ_SEED=123 npm run fuzz        replay a campaign (the seed is printed first and last)
 *   FUZZ_RUNS=1000 npm run fuzz       more (or fewer) runs per property
 *   npm run fuzz -- -t updateItem     extra arguments go to jest
 *
 * On a failure fast-check prints the property's seed, its shrink path and the counterexample, and
 * the harness adds the command that replays it.
 */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CAMPAIGN_FACTOR, DEFAULT_RUNS } from '../test/fuzz/fuzz-config';

const root = path.resolve(__dirname, '..');
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : randomInt(0, 2 ** 31 - 1);
if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, got ${process.env.FUZZ_SEED}`);
const runs = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : DEFAULT_RUNS * CAMPAIGN_FACTOR;

console.log(`fuzz: seed ${seed}, ${runs} runs per property (replay: FUZZ_SEED=${seed} FUZZ_RUNS=${runs} npm run fuzz)`);
const started = Date.now();
// The same node flags as the test:jest script.
const result = spawnSync(
  process.execPath,
  [
    '--experimental-vm-modules',
    '--disable-warning=ExperimentalWarning',
    'node_modules/jest/bin/jest.js',
    'test/fuzz',
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, FUZZ_SEED: String(seed), FUZZ_RUNS: String(runs) } },
);

let cases = 0;
const dir = path.join(root, 'test-output', 'fuzz');
for (const file of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
  if (!file.startsWith('summary-')) continue;
  const summary = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as {
    seed: number;
    runs: number;
    cases: number;
  };
  if (summary.seed === seed && summary.runs === runs) cases += summary.cases;
}
const status = result.status ?? 1;
console.log(
  `fuzz: seed ${seed}, ${runs} runs per property, ${cases} cases in ${Math.round((Date.now() - started) / 1000)} s: ${status === 0 ? 'passed' : 'FAILED'}`,
);
if (status !== 0)
  console.log(
    `fuzz: replay with FUZZ_SEED=${seed} FUZZ_RUNS=${runs} npm run fuzz (the failing property's own seed and path are above)`,
  );
process.exit(status);
