/**
 * The parsed OpenAPI document, kept as JSON by `npm run build` (scripts/build-start-up-caches.js), so that
 * the compiled service does not parse YAML at start-up: the yaml package takes about 200 ms over
 * openapi/openapi.yaml, JSON.parse a few. A copy is named by the SHA-256 of the YAML text it was
 * parsed from: a document edited after the build matches no copy and is parsed again, so a copy is
 * never stale and whatever the YAML holds (errors included) is what the service sees.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type * as Yaml from 'yaml';

/** dist/document-cache/ from the compiled dist/src/pipeline/compile/; from src/ (tsx) it never exists. */
const CACHE_DIR = path.resolve(__dirname, '../../../document-cache');

const copyOf = (text: string, dir: string) => path.join(dir, `${createHash('sha256').update(text).digest('hex')}.json`);

/** Parses YAML (or JSON, a subset of it); the yaml package is loaded on first use only. */
export function parseYaml(text: string): unknown {
  return (require('yaml') as typeof Yaml).parse(text);
}

/** What the build parsed from exactly `text`, or undefined when it kept no copy of it. */
export function cachedParse(text: string, dir = CACHE_DIR): unknown {
  let json: string;
  try {
    json = fs.readFileSync(copyOf(text, dir), 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(json);
  } catch {
    return undefined; // a damaged copy: parse the YAML instead
  }
}

/**
 * Keeps `file` parsed, as the only copy in the cache (the build's). Keeps none when JSON would not
 * give the parse back unchanged (YAML can say what JSON cannot: `.inf`, non-string keys). Returns
 * whether it kept one.
 */
export function writeCachedParse(file: string, dir = CACHE_DIR): boolean {
  const text = fs.readFileSync(file, 'utf8');
  const parsed = parseYaml(text);
  const json = JSON.stringify(parsed);
  fs.mkdirSync(dir, { recursive: true });
  for (const old of fs.readdirSync(dir)) if (old.endsWith('.json')) fs.rmSync(path.join(dir, old));
  if (json === undefined || !isDeepStrictEqual(JSON.parse(json), parsed)) return false;
  fs.writeFileSync(copyOf(text, dir), json);
  return true;
}
