/**
 * Runs once before jest starts its workers: empties the response-coverage records so the table
 * written by scripts/response-coverage.ts describes this run only.
 */
import fs from 'node:fs';
import path from 'node:path';

export default function globalSetup(): void {
  fs.rmSync(path.resolve(__dirname, '..', '..', 'test-output', 'responses'), { recursive: true, force: true });
}
