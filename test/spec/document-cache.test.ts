/**
 * The build's parse of the OpenAPI document (src/pipeline/compile/document-cache.ts): the service
 * reads it instead of parsing the YAML only when it was made from exactly the text it reads now.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cachedParse, parseYaml, writeCachedParse } from '../../src/pipeline/compile/document-cache';

const DOCUMENT = path.resolve(__dirname, '../../openapi/openapi.yaml');
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'specgate-document-cache-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it('gives back what the YAML parses to, for the text it was made from only', () => {
  const text = fs.readFileSync(DOCUMENT, 'utf8');
  expect(writeCachedParse(DOCUMENT, dir)).toBe(true);
  expect(cachedParse(text, dir)).toEqual(parseYaml(text));
  // Edited after the build, even by a byte that changes nothing parsed: no copy, the YAML is parsed.
  expect(cachedParse(`${text}\n`, dir)).toBeUndefined();
});

it('keeps only the latest copy, and none of what JSON cannot say', () => {
  const file = path.join(dir, 'doc.yaml');
  fs.writeFileSync(file, 'openapi: 3.1.0\nx-limit: 1\n');
  expect(writeCachedParse(file, path.join(dir, 'cache'))).toBe(true);
  fs.writeFileSync(file, 'openapi: 3.1.0\nx-limit: .inf\n');
  expect(writeCachedParse(file, path.join(dir, 'cache'))).toBe(false);
  expect(fs.readdirSync(path.join(dir, 'cache'))).toEqual([]);
});

it('parses the YAML when a copy is damaged', () => {
  const file = path.join(dir, 'doc.yaml');
  const text = 'openapi: 3.1.0\n';
  fs.writeFileSync(file, text);
  writeCachedParse(file, path.join(dir, 'cache'));
  const [copy] = fs.readdirSync(path.join(dir, 'cache'));
  fs.writeFileSync(path.join(dir, 'cache', copy!), '{"openapi": ');
  expect(cachedParse(text, path.join(dir, 'cache'))).toBeUndefined();
});
