/**
 * WORKERS: how many serving processes main.ts runs, checked with every other variable.
 */
import os from 'node:os';
import { loadConfig } from '../../src/core/config';
import { problemsOf } from '../support/config-problems';

const DATABASE_URL = 'postgres://specgate@db.example:5432/specgate';

describe('WORKERS', () => {
  it('is one process unless asked for more', () => {
    expect(loadConfig({}).workers).toBe(1);
    expect(loadConfig({ WORKERS: '1' }).workers).toBe(1);
  });

  it('takes a count from 1 to 64 with a PostgreSQL database', () => {
    expect(loadConfig({ WORKERS: '4', DATABASE_URL }).workers).toBe(4);
    expect(loadConfig({ WORKERS: '64', DATABASE_URL }).workers).toBe(64);
  });

  it('is one per core with auto', () => {
    expect(loadConfig({ WORKERS: 'auto', DATABASE_URL }).workers).toBe(Math.min(os.availableParallelism(), 64));
    expect(loadConfig({ WORKERS: 'AUTO', DATABASE_URL }).workers).toBe(Math.min(os.availableParallelism(), 64));
  });

  it.each(['0', '65', '-1', '2.5', 'two', 'max'])('rejects WORKERS=%s', (value) => {
    expect(problemsOf({ WORKERS: value, DATABASE_URL })).toEqual([
      `WORKERS must be auto or an integer from 1 to 64 (got "${value}")`,
    ]);
  });

  it('needs DATABASE_URL for more than one, since the embedded PGlite serves one process', () => {
    expect(problemsOf({ WORKERS: '2' })).toEqual([
      'WORKERS=2 needs DATABASE_URL: the embedded PGlite serves one process only',
    ]);
  });

  it('is reported together with the other invalid variables', () => {
    const problems = problemsOf({ WORKERS: 'many', PORT: 'eighty', LOG_LEVEL: 'loud' });
    expect(problems).toHaveLength(3);
    expect(problems.some((p) => p.startsWith('WORKERS '))).toBe(true);
  });
});
