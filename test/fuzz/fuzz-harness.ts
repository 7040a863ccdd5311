/**
 * Property-based fuzzing of every operation of the document (fast-check), against the real app.
 *
 * The request model comes from the document: path / query / header parameters, request bodies
 * per media type, security requirements (scopes), `x-error-format`, produced media types. Values
 * come from test/support/schema-arbitrary.ts. What the schemas cannot know (credentials, ids of
 * existing resources, a real cursor, a matching If-Match) is bound per case by a small PLAN per
 * operation: fixtures (fresh ones for operations that destroy them) and an overlay of those
 * fields on the generated valid request. An operation without a plan fails the suite.
 *
 * Every request goes through the contract client (test/support/contract.ts), so every response is
 * also checked against the document (documented status, media type, headers, body schema).
 */

import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { passwordProblem } from '../../src/auth/password-policy';
import { documentScopes } from '../../src/auth/scopes';
import { escapeHtml } from '../../src/core/html-page';
import { UUID } from '../../src/core/uuid';
import {
  loadDocument,
  type OpenApiDocument,
  resolveRef,
  type SecurityRequirement,
} from '../../src/pipeline/compile/document';
import { HTTP_METHODS } from '../../src/pipeline/compile/operations';
import { startTestApp, type TestApp } from '../support/app';
import { client, type TestResponse } from '../support/contract';
import { encodeFields, type Mode, type Schema, SchemaArbitraries, type TextFields } from '../support/schema-arbitrary';
import { DEFAULT_RUNS, DEFAULT_SEED } from './fuzz-config';
import { authorizePlan, decideConsentPlan, signInPlan } from './sign-in-plans';

// ------------------------------------------------------------------ configuration

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got ${raw}`);
  return n;
}
export const SEED = intEnv('FUZZ_SEED', DEFAULT_SEED);
export const RUNS = Math.max(1, intEnv('FUZZ_RUNS', DEFAULT_RUNS));
/** Per-test timeout: generous, scaled with the number of runs (no timing assertions). */
export const TEST_TIMEOUT_MS = 60_000 + RUNS * 1_500;

/** A distinct, stable seed per property, derived from the base seed. */
export function seedFor(...parts: string[]): number {
  let h = SEED | 0;
  for (const ch of parts.join('/')) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h;
}

// ------------------------------------------------------------------ the document's operations

export interface MediaModel {
  type: string;
  schema: unknown;
  mode: Mode;
}

export interface OperationModel {
  id: string;
  method: string;
  template: string;
  /** Its `x-error-format`: how its errors look (problem+json unless the document says otherwise). */
  format: 'problem' | 'oauth' | 'html';
  /** Scopes a token needs to call it (oauth2); undefined when it needs no authentication. */
  scopes: string[] | undefined;
  pathParams: { name: string; schema: Schema }[];
  /** Object schemas over the query and header parameters (undefined: none declared). */
  query?: Schema;
  header?: Schema;
  /** Cookie parameters (the sign-in pages' cookies). */
  cookies: { name: string; schema: Schema }[];
  body?: { required: boolean; media: MediaModel[] };
  /** Media types of its 2xx responses. */
  produces: string[];
  /** Documented statuses → media types. */
  responses: Map<string, string[]>;
}

function paramsObject(params: Record<string, unknown>[], location: string): Schema | undefined {
  const mine = params.filter((p) => p.in === location);
  if (!mine.length) return undefined;
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const p of mine) {
    const name = location === 'header' ? String(p.name).toLowerCase() : String(p.name);
    properties[name] = p.schema ?? {};
    if (p.required === true) required.push(name);
  }
  return { type: 'object', properties, required };
}

/** Every operation of `doc`, modelled for fuzzing. */
export function operationsOf(doc: OpenApiDocument): OperationModel[] {
  const out: OperationModel[] = [];
  const oauth2Schemes = new Set(
    Object.entries(doc.components?.securitySchemes ?? {})
      .filter(([, scheme]) => resolveRef<{ type?: string }>(doc, scheme).type === 'oauth2')
      .map(([name]) => name),
  );
  for (const [template, rawItem] of Object.entries(doc.paths)) {
    const item = resolveRef<Record<string, unknown>>(doc, rawItem);
    const shared = ((item.parameters as unknown[]) ?? []).map((p) => resolveRef<Record<string, unknown>>(doc, p));
    for (const method of HTTP_METHODS) {
      const op = item[method] as Record<string, unknown> | undefined;
      if (!op) continue;
      const own = ((op.parameters as unknown[]) ?? []).map((p) => resolveRef<Record<string, unknown>>(doc, p));
      const params = [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own];
      const security = (op.security as SecurityRequirement[] | undefined) ?? doc.security ?? [];
      // The requirement a user's bearer access token meets: one scheme of type oauth2, whatever the
      // document names it; none when one requirement is empty.
      const oauthRequirement = security.find((r) => {
        const names = Object.keys(r);
        return names.length === 1 && oauth2Schemes.has(names[0]!);
      });
      const scopes =
        security.length === 0 || security.some((r) => Object.keys(r).length === 0)
          ? undefined
          : oauthRequirement && Object.values(oauthRequirement)[0];
      if (security.length > 0 && scopes === undefined && !security.some((r) => Object.keys(r).length === 0)) {
        throw new Error(`${op.operationId}: no requirement an OAuth2 access token alone meets, to fuzz with`);
      }
      const responses = new Map<string, string[]>();
      for (const [status, raw] of Object.entries((op.responses as Record<string, unknown>) ?? {})) {
        responses.set(status, Object.keys((resolveRef<Record<string, unknown>>(doc, raw).content as object) ?? {}));
      }
      let body: OperationModel['body'];
      if (op.requestBody) {
        const rb = resolveRef<Record<string, unknown>>(doc, op.requestBody);
        body = {
          required: rb.required === true,
          media: Object.entries((rb.content as Record<string, { schema?: unknown }>) ?? {}).map(([type, m]) => ({
            type,
            schema: m.schema ?? {},
            mode: type === 'application/x-www-form-urlencoded' ? 'form' : 'json',
          })),
        };
      }
      out.push({
        id: String(op.operationId),
        method: method.toUpperCase(),
        template,
        format: op['x-error-format'] === 'oauth' || op['x-error-format'] === 'html' ? op['x-error-format'] : 'problem',
        scopes,
        pathParams: params
          .filter((p) => p.in === 'path')
          .map((p) => ({ name: String(p.name), schema: (p.schema as Schema) ?? {} })),
        query: paramsObject(params, 'query'),
        header: paramsObject(params, 'header'),
        cookies: params
          .filter((p) => p.in === 'cookie')
          .map((p) => ({ name: String(p.name), schema: (p.schema as Schema) ?? {} })),
        body,
        produces: [...new Set([...responses].filter(([s]) => s.startsWith('2')).flatMap(([, types]) => types))],
        responses,
      });
    }
  }
  return out;
}

// ------------------------------------------------------------------ requests

/** A request about to be sent. Path values are raw (already percent-encoded) segments. */
export interface Draft {
  path: Record<string, string>;
  query?: TextFields;
  headers: Record<string, string>;
  body?: { contentType: string; text: string };
  token?: string;
}

/** The generated parts of a valid request, before fixtures are bound. */
export interface Parts {
  /** JSON value or form fields; undefined: no body. */
  body: unknown;
  media: MediaModel | undefined;
  contentType: string | undefined;
  query: TextFields | undefined;
  headers: Record<string, string>;
}

/** Per-case fixtures: the caller's token, valid path values (decoded), plan data. */
export interface Binding {
  token: string | undefined;
  path: Record<string, string>;
  data: Record<string, string>;
}

export interface Plan<C = unknown> {
  /** Semantic choices of a valid request (which grant, which fixture, which If-Match). */
  choice?: fc.Arbitrary<C>;
  /** Fixtures for one case (merged over the defaults: a shared token with the operation's scopes). */
  fixture?: (ctx: FuzzContext, choice: C | undefined) => Promise<Partial<Binding>>;
  /** Overlays what the schema cannot know on a generated valid request. May call fc.pre. */
  bind?: (parts: Parts, choice: C, binding: Binding, ctx: FuzzContext) => void;
  /**
   * What a valid request must get, when that is more than "a 2xx" (a page, a redirect, the form
   * again): a message saying what is wrong with `res`, or undefined when it is right.
   */
  expected?: (res: TestResponse, choice: C) => string | undefined;
  /** Breakages only this operation knows (a wrong CSRF token, an altered sealed request), on top of the document's. */
  breakers?: fc.Arbitrary<Breaker>;
}

export interface Stats {
  requests: number;
  byKind: Record<string, number>;
  statuses: Record<string, number>;
}

// ------------------------------------------------------------------ fixtures and context

export interface FixtureUser {
  name: string;
  password: string;
  scopes: string[];
  id?: string;
}

/**
 * The app of one fuzz test file: started before its tests, stopped after them, with the file's
 * summary (seed, runs, cases) written to test-output/fuzz/ and printed.
 */
export function useFuzzContext(file: string): FuzzContext {
  const ctx = new FuzzContext(file);
  beforeAll(() => ctx.start(), 120_000);
  afterAll(async () => {
    const summary = ctx.writeSummary();
    process.stdout.write(
      `fuzz ${file}: seed ${SEED}, ${RUNS} runs per property, ${summary.cases} cases (+${summary.fixtureRequests} fixture requests)\n`,
    );
    await ctx.stop();
  });
  return ctx;
}

export class FuzzContext {
  readonly doc = loadDocument();
  readonly ops = operationsOf(this.doc);
  readonly arbs = new SchemaArbitraries(this.doc);
  /** Every scope the document's OAuth2 schemes declare, whatever their names and flows. */
  readonly allScopes = documentScopes(this.doc);
  t!: TestApp;
  api!: ReturnType<typeof client>;
  readonly stats = new Map<string, Stats>();
  fixtureRequests = 0;
  private readonly started = Date.now();
  private readonly tokens = new Map<string, Promise<string>>();
  private serial = 0;
  readonly users: Record<'admin' | 'login' | 'logout' | 'revoke' | 'sessions', FixtureUser> = {
    admin: { name: 'fuzz-admin', password: 'fuzz-admin-passphrase', scopes: [] },
    login: { name: 'fuzz-login', password: 'fuzz-login-passphrase', scopes: [] },
    logout: { name: 'fuzz-logout', password: 'fuzz-logout-passphrase', scopes: [] },
    revoke: { name: 'fuzz-revoke', password: 'fuzz-revoke-passphrase', scopes: ['items:read'] },
    sessions: { name: 'fuzz-sessions', password: 'fuzz-sessions-passphrase', scopes: [] },
  };
  itemIds: string[] = [];
  userIds: string[] = [];
  cursors: string[] = [];
  /** Usernames taken (normalised), so generated new users never collide. */
  readonly takenUsernames = new Set<string>();

  constructor(readonly file: string) {}

  async start(): Promise<void> {
    this.users.admin.scopes = this.allScopes;
    this.users.login.scopes = this.allScopes;
    // Valid logins must never turn into 429 however many cases run.
    this.t = await startTestApp({
      env: {
        LOGIN_MAX_FAILURES_PER_USER_IP: '1000',
        LOGIN_MAX_FAILURES_PER_USER: '1000',
        LOGIN_MAX_FAILURES_PER_IP: '100000',
      },
    });
    this.api = client(this.t.url);
    for (const u of Object.values(this.users)) {
      u.id = await this.t.createUser(u.name, u.password, u.scopes);
      this.userIds.push(u.id);
      this.takenUsernames.add(u.name);
    }
    for (let i = 0; i < 3; i++) this.itemIds.push((await this.newItem()).id);
    let cursor: string | null = null;
    for (let i = 0; i < 2; i++) {
      const page: TestResponse = await this.fixture('GET', `/v1/items?limit=1${cursor ? `&cursor=${cursor}` : ''}`, {
        token: await this.tokenFor(['items:read']),
      });
      cursor = page.body.next_cursor as string | null;
      if (cursor) this.cursors.push(cursor);
    }
    if (!this.cursors.length) throw new Error('fixture: no cursor');
  }

  async stop(): Promise<void> {
    await this.t?.stop();
  }

  /** A fixture request: must succeed (2xx); counted apart from fuzz cases. */
  async fixture(
    method: string,
    url: string,
    opts: Parameters<ReturnType<typeof client>['request']>[2],
  ): Promise<TestResponse> {
    this.fixtureRequests++;
    const res = await this.api.request(method, url, opts);
    if (res.status < 200 || res.status > 299)
      throw new Error(`fixture ${method} ${url} failed: ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  }

  /** Password grant for `user`; the whole token response. */
  async login(user: FixtureUser, scope?: string[]): Promise<{ access_token: string; refresh_token: string }> {
    const form: Record<string, string> = { grant_type: 'password', username: user.name, password: user.password };
    if (scope?.length) form.scope = scope.join(' ');
    return (await this.fixture('POST', '/token', { form })).body;
  }

  /** A shared access token of the admin user holding exactly `scopes` (all of them when empty). */
  tokenFor(scopes: string[]): Promise<string> {
    const key = [...scopes].sort().join(' ');
    let token = this.tokens.get(key);
    if (!token) this.tokens.set(key, (token = this.login(this.users.admin, scopes).then((r) => r.access_token)));
    return token;
  }

  /** A shared token of a fixture user (all its scopes). */
  tokenOf(user: 'sessions'): Promise<string> {
    const key = `user:${user}`;
    let token = this.tokens.get(key);
    if (!token) this.tokens.set(key, (token = this.login(this.users[user]).then((r) => r.access_token)));
    return token;
  }

  async newItem(): Promise<{ id: string; etag: string }> {
    const n = ++this.serial;
    const res = await this.fixture('POST', '/v1/items', {
      token: await this.tokenFor(['items:write']),
      json: { name: `fixture item ${n}`, category: 'fixtures', price_cents: n },
    });
    return { id: res.body.id, etag: res.headers.etag! };
  }

  /** A new user, for cases that change or end everything of their user. */
  async newUser(scopes: string[] = []): Promise<FixtureUser> {
    const n = ++this.serial;
    const user: FixtureUser = { name: `fuzz-user-${n}`, password: `fuzz-user-passphrase-${n}`, scopes };
    user.id = await this.t.createUser(user.name, user.password, scopes);
    this.takenUsernames.add(user.name);
    return user;
  }

  /** A unique tag for generated names. */
  unique(): string {
    return `${++this.serial}`;
  }

  statsOf(opId: string): Stats {
    let s = this.stats.get(opId);
    if (!s) this.stats.set(opId, (s = { requests: 0, byKind: {}, statuses: {} }));
    return s;
  }

  /** Sends a fuzz case through the contract client (which throws on an undocumented response). */
  async send(op: OperationModel, d: Draft, kind: string): Promise<TestResponse> {
    const s = this.statsOf(op.id);
    s.requests++;
    s.byKind[kind] = (s.byKind[kind] ?? 0) + 1;
    const res = await this.api.request(op.method, urlOf(op, d), {
      headers: { ...d.headers, ...(d.body ? { 'content-type': d.body.contentType } : {}) },
      body: d.body?.text,
      token: d.token,
    });
    s.statuses[res.status] = (s.statuses[res.status] ?? 0) + 1;
    return res;
  }

  /** Writes test-output/fuzz/summary-<file>.json; returns the summary. */
  writeSummary(): Record<string, unknown> {
    const operations = Object.fromEntries([...this.stats].sort(([a], [b]) => a.localeCompare(b)));
    const cases = [...this.stats.values()].reduce((n, s) => n + s.requests, 0);
    const summary = {
      file: this.file,
      seed: SEED,
      runs: RUNS,
      cases,
      fixtureRequests: this.fixtureRequests,
      wallMs: Date.now() - this.started,
      operations,
    };
    const dir = path.resolve(__dirname, '..', '..', 'test-output', 'fuzz');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `summary-${this.file}.json`), `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  }
}

export function urlOf(op: OperationModel, d: Draft): string {
  let url = op.template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = d.path[name];
    if (v === undefined) throw new Error(`${op.id}: no value for path parameter ${name}`);
    return v;
  });
  if (d.query && Object.keys(d.query).length) url += `?${encodeFields(d.query)}`;
  return url;
}

// ------------------------------------------------------------------ plans

const write = ['items:write'];

/** If-Match choices that name the item's current version, or any version. */
const ifMatchChoice = fc.constantFrom('absent', 'star', 'etag', 'list');
function bindIfMatch(parts: Parts, choice: string, binding: Binding): void {
  delete parts.headers['if-match'];
  const etag = binding.data.etag!;
  if (choice === 'star') parts.headers['if-match'] = '*';
  if (choice === 'etag') parts.headers['if-match'] = etag;
  if (choice === 'list') parts.headers['if-match'] = `W/"0", "999", ${etag}`;
}

/** A token to revoke or introspect: one the schema generated, or a live access / refresh token. */
const tokenChoice = fc.constantFrom('generated', 'access', 'refresh');
async function tokenFixture(ctx: FuzzContext, choice: string | undefined): Promise<Partial<Binding>> {
  if (choice === undefined || choice === 'generated') return {};
  const r = await ctx.login(ctx.users.revoke);
  return { data: { subject: choice === 'access' ? r.access_token : r.refresh_token } };
}
function bindToken(parts: Parts, choice: string, binding: Binding): void {
  const form = parts.body as TextFields;
  if (choice !== 'generated') form.token = binding.data.subject!;
  // A generated client_secret is a failed client authentication (invalid_client), not a valid request.
  delete form.client_secret;
}

/** A uuid path value in a spelling the service must accept (it lower-cases uuids). */
const spelling = fc.constantFrom('lower', 'upper');
const spell = (id: string, how: string) => (how === 'upper' ? id.toUpperCase() : id);

/**
 * One plan per operationId. `{}` means: the generated request is right as it is, with a shared
 * token holding the operation's scopes.
 */
export const PLANS: Record<string, Plan<any>> = {
  issueToken: {
    choice: fc.record({
      grant: fc.constantFrom('password', 'refresh_token'),
      scopes: fc.option(
        fc.subarray(['items:read', 'items:write', 'users:admin', 'tokens:introspect'], { minLength: 1 }),
        { nil: undefined },
      ),
      username: fc.constantFrom('as-is', 'upper', 'padded'),
    }),
    async fixture(ctx, c) {
      if (c?.grant !== 'refresh_token') return {};
      return { data: { refresh: (await ctx.login(ctx.users.login)).refresh_token } };
    },
    bind(parts, c, b, ctx) {
      const form = parts.body as TextFields;
      form.grant_type = c.grant;
      if (c.grant === 'password') {
        const u = ctx.users.login;
        form.username =
          c.username === 'upper' ? u.name.toUpperCase() : c.username === 'padded' ? ` ${u.name} ` : u.name;
        form.password = u.password;
      } else {
        form.refresh_token = b.data.refresh!;
      }
      if (c.scopes) form.scope = c.scopes.join(' ');
      else delete form.scope;
      // A generated client_secret is a failed client authentication (invalid_client).
      delete form.client_secret;
      // A DPoP proof is a signature over this very request (RFC 9449 §4.2): no schema makes one,
      // so a valid request goes without; test/auth/dpop-token.test.ts signs real ones.
      delete parts.headers.dpop;
    },
  },
  revokeToken: { choice: tokenChoice, fixture: tokenFixture, bind: bindToken },
  introspectToken: { choice: tokenChoice, fixture: tokenFixture, bind: bindToken },
  logout: {
    // Ends its session (or every session of its user): a fresh login per case.
    async fixture(ctx) {
      return { token: (await ctx.login(ctx.users.logout)).access_token };
    },
  },
  getCurrentUser: {},
  listSessions: {},
  revokeSession: {
    choice: spelling,
    // A session of the caller's own user, found with listSessions, ended per case.
    async fixture(ctx, how) {
      const doomed = (await ctx.login(ctx.users.sessions)).access_token;
      const list = await ctx.fixture('GET', '/me/sessions', { token: doomed });
      const sid = (list.body.sessions as { id: string; current: boolean }[]).find((s) => s.current)!.id;
      return { token: await ctx.tokenOf('sessions'), path: { sessionId: spell(sid, how ?? 'lower') } };
    },
  },
  changePassword: {
    // Ends every other session of its user: a fresh user per case.
    async fixture(ctx) {
      const user = await ctx.newUser();
      return { token: (await ctx.login(user)).access_token, data: { username: user.name, password: user.password } };
    },
    bind(parts, _c, b) {
      const body = parts.body as Record<string, string>;
      body.current_password = b.data.password!;
      // The document: "very common passwords are refused" (and the username is, too).
      fc.pre(passwordProblem(body.new_password!, b.data.username) === undefined);
    },
  },
  createUser: {
    bind(parts, _c, _b, ctx) {
      const body = parts.body as Record<string, string>;
      // Usernames are unique after trimming and lower-casing: make every generated one new,
      // keeping the generated padding and as much of the generated name as fits.
      const m = /^(\s*)(\S+?)(\s*)$/u.exec(body.username!)!;
      const tag = `.${ctx.unique()}`;
      body.username = `${m[1]}${m[2]!.slice(0, 64 - tag.length)}${tag}${m[3]}`;
      if (ctx.takenUsernames.has(body.username.trim().toLowerCase()))
        throw new Error(`duplicate generated username ${body.username}`);
      ctx.takenUsernames.add(body.username.trim().toLowerCase());
      fc.pre(passwordProblem(body.password!, body.username) === undefined);
    },
  },
  getUser: existingUserPlan(),
  listUsers: {
    choice: fc.option(fc.nat(), { nil: undefined }),
    // A cursor must be one the service issued for this listing: none, or a real one (the second
    // user's position in the unfiltered listing).
    async fixture(ctx, c) {
      if (c === undefined) return {};
      const page = await ctx.fixture('GET', '/v1/users?limit=1', { token: await ctx.tokenFor(['users:admin']) });
      return { data: { cursor: page.body.next_cursor as string } };
    },
    bind(parts, c, b) {
      const query = (parts.query ??= {});
      if (c === undefined) delete query.cursor;
      else {
        query.cursor = b.data.cursor!;
        // A cursor is valid only in the listing that issued it: the unfiltered one here.
        delete query.username_prefix;
      }
    },
  },
  // Disabling, narrowing, deleting or ending the sessions of a shared fixture user would break
  // the shared tokens of other cases: a fresh user (no admin, so never the last one) per case.
  updateUser: freshUserPlan(),
  deleteUser: freshUserPlan(),
  listUserSessions: existingUserPlan(),
  endUserSessions: freshUserPlan(),
  listItems: {
    choice: fc.option(fc.nat(), { nil: undefined }),
    // A cursor must be one the service issued for this listing: none, or a real one (unfiltered).
    bind(parts, c, _b, ctx) {
      const query = (parts.query ??= {});
      if (c === undefined) delete query.cursor;
      else {
        query.cursor = ctx.cursors[c % ctx.cursors.length]!;
        // A cursor is valid only in the listing that issued it: the unfiltered one here.
        delete query.category;
      }
    },
  },
  createItem: {},
  getItem: {
    choice: fc.tuple(fc.nat(), spelling),
    async fixture(ctx, c) {
      const [i, how] = c ?? [0, 'lower'];
      return { path: { itemId: spell(ctx.itemIds[i % ctx.itemIds.length]!, how) } };
    },
  },
  replaceItem: itemWritePlan(),
  updateItem: itemWritePlan(),
  deleteItem: itemWritePlan(),
  listCategories: {},
  getMetrics: {},
  getHealth: {},
  getReadiness: {},
  getOpenApiDocument: {},
  getApiDocs: {},
  listClients: {
    // A cursor must be one the service issued: none here.
    bind(parts) {
      if (parts.query) delete parts.query.cursor;
    },
  },
  createClient: { bind: bindRedirectUris },
  getClient: clientPlan(),
  rotateClientSecret: clientPlan(),
  updateClient: { ...clientPlan(), bind: bindRedirectUris },
  deleteClient: clientPlan(),
  getAuthorizationServerMetadata: {},
  getProtectedResourceMetadata: {},
  getJwks: {},
  authorize: authorizePlan,
  signIn: signInPlan,
  decideConsent: decideConsentPlan,
};

/**
 * No request string may hold U+0000 (the service refuses it with a 400 for every operation, as
 * info.description says; PostgreSQL text cannot store it). The schemas cannot say so, so valid
 * values are made NUL-free here; the 'nul-in-string' breaker puts one back and expects the 400.
 */
function withoutNul(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll('\u0000', '\u0001');
  if (Array.isArray(value)) return value.map(withoutNul);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutNul(v)]));
  return value;
}

/** Reads of one user: one of the fixture users, whose id may be spelled in upper case. */
function existingUserPlan(): Plan<[number, string]> {
  return {
    choice: fc.tuple(fc.nat(), spelling),
    async fixture(ctx, c) {
      const [i, how] = c ?? [0, 'lower'];
      return { path: { userId: spell(ctx.userIds[i % ctx.userIds.length]!, how) } };
    },
  };
}

/** Changes to one user (patch, delete, end sessions): a fresh user with a live session per case. */
function freshUserPlan(): Plan<string> {
  return {
    choice: spelling,
    async fixture(ctx, how) {
      const user = await ctx.newUser(['items:read']);
      await ctx.login(user);
      return { path: { userId: spell(user.id!, how ?? 'lower') } };
    },
  };
}

/** Redirect URIs the schema cannot know are acceptable (absolute https, no fragment): made so. */
function bindRedirectUris(parts: Parts): void {
  const body = parts.body as { redirect_uris?: string[] };
  if (body.redirect_uris)
    body.redirect_uris = [...new Set(body.redirect_uris.map((_, i) => `https://app.example/cb/${i}`))];
}

/** Operations on one client: a fresh client per case (deleting or disabling it is harmless). */
function clientPlan(): Plan<string> {
  return {
    choice: spelling,
    async fixture(ctx, how) {
      const res = await ctx.fixture('POST', '/v1/clients', {
        token: await ctx.tokenFor(['clients:admin']),
        json: { name: `fuzz client ${ctx.unique()}`, grant_types: ['client_credentials'], scopes: [] },
      });
      return { path: { clientId: spell(res.body.client_id as string, how ?? 'lower') } };
    },
  };
}

/** Writes to one item (replace, patch, delete): a fresh item per case, If-Match bound to it. */
function itemWritePlan(): Plan<[string, string]> {
  return {
    choice: fc.tuple(ifMatchChoice, spelling),
    async fixture(ctx, c) {
      const item = await ctx.newItem();
      return {
        token: await ctx.tokenFor(write),
        path: { itemId: spell(item.id, c?.[1] ?? 'lower') },
        data: { etag: item.etag },
      };
    },
    bind(parts, c, b) {
      bindIfMatch(parts, c[0], b);
    },
  };
}

/** The plan of `op`; throws for an operation nobody planned (a new operation must get one). */
export function planOf(op: OperationModel): Plan<any> {
  const plan = PLANS[op.id];
  if (!plan)
    throw new Error(
      `no fuzz plan for operation ${op.id} (${op.method} ${op.template}): add one to test/fuzz/fuzz-harness.ts`,
    );
  return plan;
}

/** The fixtures of one case: plan fixtures over a shared token with the operation's scopes. */
export async function bindingFor(ctx: FuzzContext, op: OperationModel, choice: unknown): Promise<Binding> {
  const plan = planOf(op);
  const extra = plan.fixture ? await plan.fixture(ctx, choice) : {};
  const token = extra.token ?? (op.scopes === undefined ? undefined : await ctx.tokenFor(op.scopes));
  const binding: Binding = { token, path: extra.path ?? {}, data: extra.data ?? {} };
  for (const p of op.pathParams) {
    if (binding.path[p.name] === undefined)
      throw new Error(`fuzz plan of ${op.id} binds no value for path parameter ${p.name}`);
  }
  return binding;
}

// ------------------------------------------------------------------ generated parts

/** Accept headers that allow one of `produces` (absent allows anything). */
function acceptableAccept(produces: string[]): fc.Arbitrary<string | undefined> {
  if (!produces.length) return fc.constantFrom(undefined, '*/*', 'image/png', 'application/json');
  const options: (string | undefined)[] = [undefined, '*/*'];
  for (const p of produces)
    options.push(p, `${p.split('/')[0]}/*`, `image/png;q=0.9, ${p};q=0.1`, `${p}; charset=utf-8`);
  return fc.constantFrom(...options);
}

/** Content-Type spellings of a declared media type that the service must accept. */
function contentTypes(type: string): fc.Arbitrary<string> {
  return fc.constantFrom(type, `${type}; charset=utf-8`, `${type};charset="UTF-8"`, type.toUpperCase());
}

export interface Generated {
  parts: Parts;
  accept: string | undefined;
  spelling: number;
  choice: unknown;
}

/** Valid parts for `op`, straight from its schemas (before a plan binds fixtures). */
export function generatedParts(ctx: FuzzContext, op: OperationModel): fc.Arbitrary<Generated> {
  const plan = planOf(op);
  type BodyPart = { media: MediaModel | undefined; body: unknown; contentType: string | undefined };
  const none: fc.Arbitrary<BodyPart> = fc.constant({ media: undefined, body: undefined, contentType: undefined });
  const body: fc.Arbitrary<BodyPart> = !op.body
    ? none
    : fc.constantFrom(...op.body.media).chain((m): fc.Arbitrary<BodyPart> => {
        const value = ctx.arbs.valid(m.schema, m.mode);
        const present = op.body!.required ? value : fc.option(value, { nil: undefined, freq: 3 });
        return fc.record({
          media: fc.constant<MediaModel | undefined>(m),
          body: present,
          contentType: contentTypes(m.type).map((t): string | undefined => t),
        });
      });
  const query = op.query ? (ctx.arbs.valid(op.query, 'query') as fc.Arbitrary<TextFields>) : fc.constant(undefined);
  const headers = op.header
    ? (ctx.arbs.valid(op.header, 'header') as fc.Arbitrary<Record<string, string>>)
    : fc.constant({});
  return fc
    .record({
      body,
      query,
      headers,
      accept: acceptableAccept(op.produces),
      spelling: fc.nat(),
      choice: plan.choice ?? fc.constant(undefined),
    })
    .map(({ body: b, query: q, headers: h, accept, spelling: sp, choice }) => ({
      parts: {
        body: withoutNul(b.body),
        media: b.media,
        contentType: b.body === undefined ? undefined : b.contentType,
        query: withoutNul(q) as TextFields | undefined,
        headers: { ...h },
      },
      accept,
      spelling: sp,
      choice,
    }));
}

/** The paths to every string in a JSON value. */
function stringLeaves(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof value === 'string') return at.length ? [at] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringLeaves(v, [...at, i]));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, [...at, k]));
  return [];
}

function encodeBody(media: MediaModel, value: unknown): string {
  return media.mode === 'form' ? encodeFields(value as TextFields) : JSON.stringify(value);
}

/** Binds fixtures (and, unless `unbound`, the plan's overlay) and renders the request. */
export function draftOf(ctx: FuzzContext, op: OperationModel, g: Generated, binding: Binding, unbound = false): Draft {
  const parts: Parts = {
    ...g.parts,
    body: structuredClone(g.parts.body),
    query: g.parts.query && { ...g.parts.query },
    headers: { ...g.parts.headers },
  };
  const plan = planOf(op);
  if (!unbound && plan.bind) plan.bind(parts, g.choice, binding, ctx);
  const headers: Record<string, string> = { ...parts.headers };
  if (g.accept !== undefined) headers.accept = g.accept;
  return {
    path: Object.fromEntries(Object.entries(binding.path).map(([k, v]) => [k, encodeURIComponent(v)])),
    query: parts.query,
    headers,
    body:
      parts.body === undefined || !parts.media
        ? undefined
        : { contentType: parts.contentType!, text: encodeBody(parts.media, parts.body) },
    token: binding.token,
  };
}

// ------------------------------------------------------------------ invalid requests

export interface Breaker {
  kind: string;
  reason: string;
  /** The statuses this breakage must get. */
  expect: number[];
  apply(d: Draft): void;
}

const parses = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** Text that is not JSON: truncations of a valid body, classic mistakes, random text. */
function malformedJson(valid: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc
    .oneof(
      valid
        .map((v) => JSON.stringify(v))
        .chain((s) => fc.nat({ max: Math.max(0, s.length - 1) }).map((n) => s.slice(0, n))),
      fc.constantFrom(
        '{',
        '{"a":1,}',
        "{'a':1}",
        'NaN',
        '[1,2',
        '\uFEFF{}',
        '{"a":undefined}',
        'nul',
        '"unterminated',
        '{"a":1}}',
        '01',
        '{"a":"\\x"}',
        ' ',
      ),
      fc.string({ minLength: 1, maxLength: 20, unit: 'binary' }),
    )
    .filter((t) => t.length > 0 && !parses(t));
}

const token = fc.stringMatching(/^[a-z][a-z0-9.+-]{0,11}$/);
/** Content-Types the operation does not take (or with a charset it refuses). */
function wrongContentTypes(op: OperationModel): fc.Arbitrary<string> {
  const declared = op.body!.media.map((m) => m.type);
  const fixed = [
    'text/plain',
    'application/xml',
    'text/xml',
    'multipart/form-data; boundary=xyz',
    'application/octet-stream',
    'application/json',
    'application/x-www-form-urlencoded',
    'application/merge-patch+json',
    'application/jsonx',
    'json',
    'text/json',
    'application/problem+json',
  ];
  const charsets = declared.flatMap((t) => [
    `${t}; charset=iso-8859-1`,
    `${t}; charset=utf-16`,
    `${t};charset="latin1"`,
  ]);
  return fc
    .oneof(
      fc.constantFrom(...fixed, ...charsets),
      fc.tuple(token, token).map(([a, b]) => `${a}/${b}`),
    )
    .filter((ct) => {
      const type = ct.split(';')[0]!.trim().toLowerCase();
      return !declared.includes(type) || /charset=(?!"?utf-?8"?$)/i.test(ct);
    });
}

/** Accept headers that allow none of `produces`. */
function unacceptable(produces: string[]): fc.Arbitrary<string> {
  const candidates = [
    'application/xml',
    'text/html',
    'image/png',
    'text/csv',
    'application/pdf',
    'text/plain',
    'application/json',
    'audio/*',
    'application/problem+json',
  ];
  const list = candidates.filter((c) => !produces.includes(c) && !produces.some((p) => c === `${p.split('/')[0]}/*`));
  return fc.oneof(
    fc.constantFrom(...list),
    fc.constantFrom(...produces.map((p) => `${p};q=0`)),
    fc.constantFrom(...list).map((c) => `${c}, ${produces[0]};q=0`),
  );
}

const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
};
/** Raw path segments the URL parser would rewrite (dot segments) or that would not match the route. */
const rewritten = (raw: string) => raw === '' || ['.', '..'].includes(raw.toLowerCase().replace(/%2e/g, '.'));

/** Broken raw (percent-encoded) values for one path parameter. */
function brokenPath(
  ctx: FuzzContext,
  op: OperationModel,
  name: string,
  schema: Schema,
  valid: string,
): fc.Arbitrary<{ raw: string; reason: string; expect: number[] }> {
  const obj: Schema = { type: 'object', properties: { [name]: schema }, required: [name] };
  const fromSchema = ctx.arbs
    .mutate(obj, { [name]: valid }, 'query', '')
    .filter(
      (m) => typeof (m.value as Record<string, unknown>)[name] === 'string' && !ctx.arbs.isValid(obj, m.value, 'query'),
    )
    .map((m) => ({ raw: encodeURIComponent((m.value as Record<string, string>)[name]!), reason: m.reason }));
  const junk = fc
    .oneof(
      fc.constantFrom(
        '%',
        '%zz',
        '%E0%A4%A',
        '%C3%28',
        '%ff',
        '%00',
        '%2F',
        'a%20b',
        '%u1234',
        '%%41',
        '%FE%FF',
        '%ED%A0%80',
      ),
      fc.constantFrom('%00', '%2F..', '%0A', '%', '%20').map((s) => `${valid}${s}`),
    )
    .map((raw) => ({ raw, reason: 'percent-encoded junk' }));
  const long = fc
    .integer({ min: 37, max: 2000 })
    .map((n) => ({ raw: valid.padEnd(n, 'a'), reason: `over-long (${n} characters)` }));
  const random = fc
    .string({ unit: 'binary', minLength: 1, maxLength: 40 })
    .map((s) => ({ raw: encodeURIComponent(s), reason: 'random text' }));
  const broken = fc
    .oneof(fromSchema, junk, long, random)
    .filter((b) => !rewritten(b.raw) && !UUID.test(safeDecode(b.raw) ?? ''))
    .map((b) => ({ ...b, expect: [400] }));
  // Well-formed, but nothing has that id.
  const unknown = fc.uuid().map((u) => ({ raw: u, reason: 'unknown id', expect: [404] }));
  return op.pathParams.find((p) => p.name === name)!.schema.format === 'uuid'
    ? fc.oneof({ weight: 4, arbitrary: broken }, { weight: 1, arbitrary: unknown })
    : broken;
}

/** Every kind of invalid request that applies to `op`, each with the statuses it must get. */
export function breakers(ctx: FuzzContext, op: OperationModel): fc.Arbitrary<Breaker> {
  const kinds: fc.WeightedArbitrary<Breaker>[] = [];
  /** Schema-driven breakages carry more variety than the fixed ones: pick them more often. */
  const WEIGHT: Record<string, number> = {
    'invalid-body': 4,
    path: 3,
    'invalid-query': 3,
    'invalid-header': 2,
    'malformed-json': 2,
  };
  const add = (kind: string, arbitrary: fc.Arbitrary<Breaker>) => kinds.push({ weight: WEIGHT[kind] ?? 1, arbitrary });
  if (op.body) {
    for (const m of op.body.media) {
      add(
        'invalid-body',
        ctx.arbs.invalid(m.schema, m.mode).map((mu) => ({
          kind: 'invalid-body',
          reason: mu.reason,
          expect: [400],
          apply: (d: Draft) => void (d.body = { contentType: m.type, text: encodeBody(m, mu.value) }),
        })),
      );
      if (m.mode === 'json') {
        add(
          'malformed-json',
          malformedJson(ctx.arbs.valid(m.schema, m.mode)).map((text) => ({
            kind: 'malformed-json',
            reason: `not JSON: ${JSON.stringify(text.slice(0, 40))}`,
            expect: [400],
            apply: (d: Draft) => void (d.body = { contentType: m.type, text }),
          })),
        );
      }
      // Valid values that hold a string, drawn once (a filter could spin forever on a schema
      // whose strings are rare or absent, e.g. logout's {all_sessions: boolean}).
      const withStrings = fc
        .sample(ctx.arbs.valid(m.schema, m.mode), { numRuns: 40, seed: seedFor(op.id, m.type, 'nul') })
        .filter((v) => stringLeaves(v).length > 0);
      if (withStrings.length)
        add(
          'nul-in-string',
          fc
            .tuple(fc.constantFrom(...withStrings), fc.nat(), fc.nat())
            .map(([sample, pick, at]) => ({ value: structuredClone(sample), leaves: stringLeaves(sample), pick, at }))
            .map(({ value, leaves, pick, at }) => {
              const leaf = leaves[pick % leaves.length]!;
              const holder = leaf.slice(0, -1).reduce((o: any, k) => o[k], value);
              const key = leaf[leaf.length - 1]!;
              const text = String(holder[key]);
              const i = at % (text.length + 1);
              holder[key] = `${text.slice(0, i)}\u0000${text.slice(i)}`;
              return {
                kind: 'nul-in-string',
                reason: `U+0000 in /${leaf.join('/')}`,
                expect: [400],
                apply: (d: Draft) => void (d.body = { contentType: m.type, text: encodeBody(m, value) }),
              };
            }),
        );
      const limit = ctx.t.config.bodyLimitBytes;
      add(
        'too-large',
        fc.integer({ min: limit + 1, max: limit + 4096 }).map((n) => ({
          kind: 'too-large',
          reason: `${n}-byte body`,
          expect: [413],
          apply: (d: Draft) =>
            void (d.body = {
              contentType: m.type,
              text: m.mode === 'form' ? `pad=${'x'.repeat(n - 4)}` : JSON.stringify({ pad: 'x'.repeat(n - 10) }),
            }),
        })),
      );
    }
    add(
      'wrong-content-type',
      wrongContentTypes(op).map((ct) => ({
        kind: 'wrong-content-type',
        reason: `Content-Type: ${ct}`,
        expect: [415],
        apply: (d: Draft) => void (d.body = { contentType: ct, text: d.body?.text || '{}' }),
      })),
    );
  }
  for (const p of op.pathParams) {
    add(
      'path',
      fc.constant(undefined).chain(() =>
        // The valid value is bound at run time; break a stand-in of the same shape (the raw value replaces it whole).
        brokenPath(
          ctx,
          op,
          p.name,
          p.schema,
          p.schema.format === 'uuid' ? '3f1c7a4e-2b8d-4c1e-9a57-6d0e8b2f4a91' : 'x',
        ).map((b) => ({
          kind: b.expect.includes(404) ? 'unknown-id' : 'broken-path',
          reason: `path ${p.name}: ${b.reason} (${b.raw.slice(0, 60)})`,
          expect: b.expect,
          apply: (d: Draft) => void (d.path[p.name] = b.raw),
        })),
      ),
    );
  }
  if (op.query) {
    add(
      'invalid-query',
      ctx.arbs.invalid(op.query, 'query').map((mu) => ({
        kind: 'invalid-query',
        reason: `query ${mu.reason}`,
        expect: [400],
        apply: (d: Draft) => void (d.query = mu.value as TextFields),
      })),
    );
  }
  if (op.header) {
    const names = Object.keys((op.header.properties as object) ?? {});
    add(
      'invalid-header',
      ctx.arbs.invalid(op.header, 'header').map((mu) => ({
        kind: 'invalid-header',
        reason: `header ${mu.reason}`,
        expect: [400],
        apply: (d: Draft) => {
          for (const n of names) delete d.headers[n];
          Object.assign(d.headers, mu.value as Record<string, string>);
        },
      })),
    );
  }
  for (const c of op.cookies) {
    const max = c.schema.maxLength;
    if (typeof max !== 'number') continue;
    add(
      'invalid-cookie',
      fc.integer({ min: max + 1, max: max + 200 }).map((n) => ({
        kind: 'invalid-cookie',
        reason: `cookie ${c.name}: ${n} characters (maxLength ${max})`,
        expect: [400],
        apply: (d: Draft) => {
          const others = (d.headers.cookie ?? '')
            .split(';')
            .map((s) => s.trim())
            .filter((s) => s && !s.startsWith(`${c.name}=`));
          d.headers.cookie = [...others, `${c.name}=${'a'.repeat(n)}`].join('; ');
        },
      })),
    );
  }
  if (op.produces.length) {
    add(
      'not-acceptable',
      unacceptable(op.produces).map((accept) => ({
        kind: 'not-acceptable',
        reason: `Accept: ${accept}`,
        expect: [406],
        apply: (d: Draft) => void (d.headers.accept = accept),
      })),
    );
  }
  if (op.scopes !== undefined) {
    const missing = ctx.allScopes.filter((s) => !op.scopes!.includes(s));
    const noToken = fc.constantFrom(
      { reason: 'no Authorization', header: undefined },
      { reason: 'malformed bearer token', header: 'Bearer not a token' },
      { reason: 'forged token', header: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln' },
      { reason: 'Basic scheme', header: 'Basic Zm9vOmJhcg==' },
      { reason: 'empty bearer', header: 'Bearer' },
    );
    add(
      'unauthenticated',
      noToken.map((n) => ({
        kind: 'unauthenticated',
        reason: n.reason,
        expect: [401],
        apply: (d: Draft) => {
          d.token = undefined;
          if (n.header !== undefined) d.headers.authorization = n.header;
        },
      })),
    );
    if (op.scopes.length && missing.length) {
      add(
        'insufficient-scope',
        fc.subarray(missing, { minLength: 1 }).map((scopes) => ({
          kind: 'insufficient-scope',
          reason: `token with ${scopes.join(' ')}`,
          expect: [403],
          apply: (d: Draft) => void (d.headers['x-fuzz-scopes'] = scopes.join(' ')),
        })),
      );
    }
  }
  const own = planOf(op).breakers;
  if (own) kinds.push({ weight: 4, arbitrary: own });
  if (!kinds.length) throw new Error(`${op.id}: nothing to break`);
  return fc.oneof(...kinds);
}

/** Applies a breaker, resolving a token with other scopes when it asks for one. */
export async function breakDraft(ctx: FuzzContext, d: Draft, b: Breaker): Promise<Draft> {
  const copy: Draft = {
    ...d,
    path: { ...d.path },
    headers: { ...d.headers },
    query: d.query && { ...d.query },
    body: d.body && { ...d.body },
  };
  b.apply(copy);
  const scopes = copy.headers['x-fuzz-scopes'];
  if (scopes !== undefined) {
    delete copy.headers['x-fuzz-scopes'];
    copy.token = await ctx.tokenFor(scopes.split(' '));
  }
  return copy;
}

// ------------------------------------------------------------------ assertions

export function describeRequest(op: OperationModel, d: Draft): string {
  const headers = { ...d.headers, ...(d.body ? { 'content-type': d.body.contentType } : {}) };
  const body = d.body
    ? `\n  body: ${JSON.stringify(d.body.text.length > 300 ? `${d.body.text.slice(0, 300)}… (${d.body.text.length} chars)` : d.body.text)}`
    : '';
  return `${op.method} ${urlOf(op, d).slice(0, 400)}\n  headers: ${JSON.stringify(headers)}${d.token ? '\n  (with a bearer token)' : ''}${body}`;
}

/**
 * The error format the document promises: RFC 6749 error JSON on `x-error-format: oauth`
 * operations — except 401 / 403, the bearer-token errors (RFC 6750), which the document shares
 * with every other operation as problem documents —, an HTML page with the sign-in pages' headers
 * on `x-error-format: html` operations (read by a person in a browser) that never shows the
 * password the form carried (`d`, when given), and problem+json everywhere else.
 */
export function assertErrorFormat(op: OperationModel, res: TestResponse, context: string, d?: Draft): void {
  const type = res.headers['content-type']?.split(';')[0]?.trim();
  if (op.format === 'html' && (res.status === 302 || res.status === 303)) {
    // An error the client learns at its redirect URI (RFC 6749 §4.1.2.1): `error` and `iss`, no code.
    const q = new URL(res.headers.location ?? 'invalid:').searchParams;
    if (!q.get('error') || !q.has('iss') || q.has('code') || res.headers['cache-control'] !== 'no-store')
      throw new Error(
        `${op.id} redirected an invalid request without an error:\n  ${context}\n  Location: ${res.headers.location}`,
      );
    return;
  }
  if (op.format === 'html') {
    const csp = res.headers['content-security-policy'] ?? '';
    if (type !== 'text/html' || !/^<!doctype html>/i.test(res.text) || !csp.includes("frame-ancestors 'none'"))
      throw new Error(
        `${op.id} answered ${res.status} in the wrong error format (want an HTML page under the pages' CSP):\n  ${context}\n  got ${type}: ${res.text.slice(0, 300)}`,
      );
    if (res.headers['cache-control'] !== 'no-store')
      throw new Error(`${op.id} error page without Cache-Control: no-store:\n  ${context}`);
    const password = d && sentPassword(d);
    if (password && (res.text.includes(password) || res.text.includes(escapeHtml(password))))
      throw new Error(`${op.id} error page shows the password the form sent:\n  ${context}`);
    return;
  }
  if (op.format === 'oauth' && res.status !== 401 && res.status !== 403) {
    if (type !== 'application/json' || typeof res.body?.error !== 'string' || 'status' in (res.body ?? {})) {
      throw new Error(
        `${op.id} answered ${res.status} in the wrong error format (want OAuth error JSON):\n  ${context}\n  got ${type}: ${res.text.slice(0, 300)}`,
      );
    }
    if (res.headers['cache-control'] !== 'no-store')
      throw new Error(`${op.id} OAuth error without Cache-Control: no-store:\n  ${context}`);
    return;
  }
  if (type !== 'application/problem+json' || res.body?.status !== res.status || typeof res.body?.code !== 'string') {
    throw new Error(
      `${op.id} answered ${res.status} in the wrong error format (want application/problem+json):\n  ${context}\n  got ${type}: ${res.text.slice(0, 300)}`,
    );
  }
}

/** The password a form carried, when long enough that finding it in a page cannot be chance. */
function sentPassword(d: Draft): string | undefined {
  if (!d.body?.contentType.startsWith('application/x-www-form-urlencoded')) return undefined;
  const password = new URLSearchParams(d.body.text).get('password');
  return password && password.trim().length >= 12 ? password : undefined;
}

export function assertNo5xx(op: OperationModel, res: TestResponse, context: string): void {
  if (res.status >= 500)
    throw new Error(`${op.id} answered ${res.status}:\n  ${context}\n  body: ${res.text.slice(0, 400)}`);
}

/** fc.assert with the file's seed and runs; a failure names how to replay it. */
export async function check(
  file: string,
  name: string,
  property: fc.IAsyncPropertyWithHooks<any> | fc.IAsyncProperty<any>,
): Promise<void> {
  try {
    await fc.assert(property, { seed: seedFor(file, name), numRuns: RUNS });
  } catch (err) {
    const e = err as Error;
    const test = expect.getState().currentTestName ?? name;
    e.message = `${e.message}\n\nReplay: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} npm run test:jest -- test/fuzz/${file}.test.ts -t '${test.replace(/'/g, '.')}'`;
    throw e;
  }
}
