/**
 * Loading the OpenAPI document and resolving its local `$ref`s. The document is read once at
 * start-up; everything downstream (routes, validators, security) is derived from it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cachedParse, parseYaml } from './document-cache';

/** A parsed OpenAPI 3.1 document (kept loose: the validators, not TypeScript, check its shape). */
export type OpenApiDocument = {
  openapi: string;
  info: Record<string, unknown>;
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
  security?: SecurityRequirement[];
  [key: string]: unknown;
};

/** One Security Requirement Object: scheme name → required scopes (AND within, OR across a list). */
export type SecurityRequirement = Record<string, string[]>;

/** The project's document, from openapi/openapi.yaml next to src/ (or dist/src/). */
export function defaultDocumentPath(): string {
  const candidates = [
    path.resolve(__dirname, '../../../openapi/openapi.yaml'),
    path.resolve(__dirname, '../../../../openapi/openapi.yaml'),
  ];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`openapi/openapi.yaml not found (looked in ${candidates.join(', ')})`);
  return found;
}

/** Reads and parses a YAML or JSON OpenAPI document (the build's parse of it, when it kept one: ./document-cache). */
export function loadDocument(file: string = defaultDocumentPath()): OpenApiDocument {
  const text = fs.readFileSync(file, 'utf8');
  const doc = (cachedParse(text) ?? parseYaml(text)) as OpenApiDocument;
  if (!doc || typeof doc !== 'object' || typeof doc.openapi !== 'string' || !doc.openapi.startsWith('3.1')) {
    throw new Error(`${file} is not an OpenAPI 3.1 document`);
  }
  return doc;
}

/** Follows a local `$ref` chain (`#/components/...`) until a non-reference object is reached. */
export function resolveRef<T = Record<string, unknown>>(doc: OpenApiDocument, value: unknown): T {
  let current = value as Record<string, unknown> | undefined;
  const seen = new Set<string>();
  while (current && typeof current === 'object' && typeof current.$ref === 'string') {
    const ref = current.$ref;
    if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported (got ${ref})`);
    if (seen.has(ref)) throw new Error(`circular $ref ${ref}`);
    seen.add(ref);
    current = pointer(doc, ref.slice(1)) as Record<string, unknown> | undefined;
    if (current === undefined) throw new Error(`unresolved $ref ${ref}`);
  }
  return current as T;
}

/** Evaluates an RFC 6901 JSON Pointer against `root`. */
export function pointer(root: unknown, ptr: string): unknown {
  if (ptr === '') return root;
  let node: unknown = root;
  for (const raw of ptr.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
