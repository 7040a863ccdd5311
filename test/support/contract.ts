/**
 * A small HTTP client for tests that checks every response it receives against the document:
 * the status must be documented for the matched operation, and the media type, declared headers
 * and body must match. Responses to unknown paths (404) or methods (405) must be problem+json.
 * An undocumented status fails the test that received it.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { loadDocument, type OpenApiDocument } from '../../src/pipeline/compile/document';
import { type CompiledOperation, compileOperations } from '../../src/pipeline/compile/operations';
import { ResponseValidator } from '../../src/pipeline/compile/response-validator';
import { RouteTable } from '../../src/pipeline/compile/route-table';
import { SchemaCompiler } from '../../src/pipeline/compile/schema-compiler';

export interface TestResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** Parsed JSON body, when the response is JSON. */
  body: any;
  operationId: string | undefined;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  /** Sent as is. */
  body?: string | Buffer;
  token?: string;
}

class Contract {
  readonly table = new RouteTable<CompiledOperation>();
  readonly validator: ResponseValidator;
  readonly problem: (body: unknown) => boolean;

  constructor(doc: OpenApiDocument) {
    const compiler = new SchemaCompiler(doc);
    for (const op of compileOperations(doc, compiler)) this.table.add(op.method, op.path, op);
    this.validator = new ResponseValidator(compiler);
    this.problem = compiler.compileBody({ $ref: '#/components/schemas/Problem' });
  }
}

const contracts = new Map<OpenApiDocument | undefined, Contract>();

/** Throws unless `res` conforms to the document for `method path`. */
export function assertConforms(
  doc: OpenApiDocument | undefined,
  method: string,
  path: string,
  res: Omit<TestResponse, 'operationId'>,
): string | undefined {
  let contract = contracts.get(doc);
  if (!contract) contracts.set(doc, (contract = new Contract(doc ?? loadDocument())));
  const found = contract.table.lookup(method, path.split('?')[0]!);
  const type = res.headers['content-type']?.split(';')[0]?.trim();
  if (!found || found.kind === 'method') {
    const expected = found ? 405 : 404;
    if (res.status !== expected && res.status !== 200)
      throw new Error(`${method} ${path}: expected ${expected}, got ${res.status}`);
    // A HEAD answer has the headers of the GET answer and no body (RFC 9110 §9.3.2).
    if (
      res.status !== 200 &&
      (type !== 'application/problem+json' || (method !== 'HEAD' && !contract.problem(res.body)))
    ) {
      throw new Error(`${method} ${path}: ${res.status} is not a problem document: ${res.text}`);
    }
    return undefined;
  }
  const op = found.value;
  const problems = contract.validator.check(op, {
    status: res.status,
    headers: res.headers,
    body: res.text === '' ? undefined : (res.body ?? res.text),
    contentType: type,
    head: method === 'HEAD',
  });
  if (problems.length) {
    throw new Error(
      `${method} ${path} → ${res.status} does not match the document (${op.operationId}):\n  ${problems.join('\n  ')}\nbody: ${res.text.slice(0, 500)}`,
    );
  }
  if (doc === undefined) recordProduced(op.operationId, res.status);
  return op.operationId;
}

/**
 * Where each test process notes the (operationId, status) pairs it received and validated for
 * the project's document; scripts/response-coverage.ts turns them into the coverage table.
 * The directory is emptied by test/support/global-setup.ts at the start of every jest run.
 */
export const RESPONSES_DIR = path.resolve(__dirname, '..', '..', 'test-output', 'responses');
const recorded = new Set<string>();

function recordProduced(operationId: string, status: number): void {
  const key = `${operationId} ${status}`;
  if (recorded.has(key)) return;
  recorded.add(key);
  fs.mkdirSync(RESPONSES_DIR, { recursive: true });
  fs.appendFileSync(path.join(RESPONSES_DIR, `${process.pid}.jsonl`), `${JSON.stringify({ operationId, status })}\n`);
}

/**
 * A response as received (status, lower-cased headers, text), its JSON body parsed, checked
 * against `doc` (default: the project's document). Every way tests read responses ends here.
 */
export function received(
  method: string,
  path: string,
  status: number,
  headers: Record<string, string>,
  text: string,
  doc?: OpenApiDocument,
): TestResponse {
  const body = /json/.test(headers['content-type'] ?? '') && text ? JSON.parse(text) : undefined;
  const out = { status, headers, text, body };
  return { ...out, operationId: assertConforms(doc, method, path, out) };
}

/** A client bound to a base URL; every response is checked against `doc` (default: the project's). */
export function client(baseUrl: string, doc?: OpenApiDocument) {
  async function request(method: string, path: string, opts: RequestOptions = {}): Promise<TestResponse> {
    const headers: Record<string, string> = { ...opts.headers };
    let body: string | Buffer | undefined = opts.body;
    if (opts.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(opts.json);
    }
    if (opts.form !== undefined) {
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
      body = new URLSearchParams(opts.form).toString();
    }
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    // Redirects are answers to check, not to follow (GET /authorize's 302 goes to the client).
    const res = await fetch(baseUrl + path, { method, headers, body, redirect: 'manual' });
    const text = method === 'HEAD' ? '' : await res.text();
    const resHeaders: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      resHeaders[k] = v;
    });
    return received(method, path, res.status, resHeaders, text, doc);
  }
  return {
    request,
    get: (path: string, opts?: RequestOptions) => request('GET', path, opts),
    post: (path: string, opts?: RequestOptions) => request('POST', path, opts),
    /** Logs in with the password grant and returns the access token. */
    async login(username: string, password: string, scope?: string): Promise<string> {
      const form: Record<string, string> = { grant_type: 'password', username, password };
      if (scope) form.scope = scope;
      const res = await request('POST', '/token', { form });
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
      return res.body.access_token as string;
    },
  };
}

/** One HTTPS request trusting `ca` (fetch cannot take a CA), its response checked like client()'s. */
export function httpsRequest(url: string, ca: string, opts: NodeRequestOptions = {}): Promise<TestResponse> {
  return nodeRequest(url, { ...opts, ca });
}

/** One HTTP request with any method, TRACE included (fetch refuses it), checked like client()'s. */
export function httpRequest(url: string, opts: NodeRequestOptions = {}): Promise<TestResponse> {
  return nodeRequest(url, opts);
}

interface NodeRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

function nodeRequest(url: string, opts: NodeRequestOptions & { ca?: string }): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const method = opts.method ?? 'GET';
    const send = url.startsWith('https:') ? https.request : http.request;
    const req = send(url, { method, ca: opts.ca, headers: opts.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        try {
          const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)]));
          const { pathname, search } = new URL(url);
          resolve(received(method, pathname + search, res.statusCode!, headers, text));
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
