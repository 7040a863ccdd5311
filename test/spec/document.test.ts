/**
 * The document and the code stay in step: every status the pipeline can produce for an operation
 * is documented for it, in the error format the operation declares. And the document is a complete
 * reference: every operation, component and parameter is described, and every request and response
 * body has examples that the service's own validator accepts.
 */
import { documentScopes } from '../../src/auth/scopes';
import { PROBLEMS, type ProblemCode, problemType } from '../../src/core/errors';
import { ERRORS_SECTION_ANCHOR } from '../../src/core/problems';
import { loadDocument, resolveRef } from '../../src/pipeline/compile/document';
import { compileOperations, HTTP_METHODS } from '../../src/pipeline/compile/operations';
import { SchemaCompiler, toViolations } from '../../src/pipeline/compile/schema-compiler';

const doc = loadDocument();
const operations = compileOperations(doc);

/** Statuses the pipeline itself may answer for an operation, whatever its handler does. */
function pipelineStatuses(op: (typeof operations)[number]): number[] {
  const out = [500];
  if (op.produces.length) out.push(406);
  // Cached reads answer If-None-Match with 304 (src/pipeline/pipeline.ts writeResult).
  const xCache = op.raw['x-cache'];
  if (xCache && typeof xCache === 'object') out.push(304);
  const hasParams = Object.values(op.parameters).some(Boolean);
  if (op.body) out.push(400, 413, 415);
  else if (hasParams) out.push(400);
  const isPublic = op.security.length === 0 || op.security.some((r) => Object.keys(r).length === 0);
  if (!isPublic) {
    out.push(401, 503);
    if (op.security.some((r) => Object.values(r).some((scopes) => scopes.length > 0))) out.push(403);
  }
  return out;
}

describe.each(operations.map((op) => [op.operationId, op] as const))('%s', (_id, op) => {
  it('documents every status the pipeline can produce for it', () => {
    const missing = pipelineStatuses(op).filter((s) => !op.responses.has(String(s)));
    expect(missing).toEqual([]);
  });

  it('documents its errors in its declared format', () => {
    for (const [status, res] of op.responses) {
      if (!status.startsWith('4') && status !== '500') continue;
      // Bearer challenges (401/403, RFC 6750 §3) are problem documents even on OAuth endpoints; a
      // failed client authentication there is RFC 6749 §5.2 JSON (`invalid_client`, 401).
      const oauth = op.errorFormat === 'oauth' && status !== '401' && status !== '403';
      // `x-error-format: html`: the sign-in pages answer every error as a page (HtmlPage).
      const html = op.errorFormat === 'html';
      const expected = html ? 'text/html' : oauth ? 'application/json' : 'application/problem+json';
      const allowed = op.errorFormat === 'oauth' && status === '401' ? [expected, 'application/json'] : [expected];
      expect(res.mediaTypes.length).toBeGreaterThan(0);
      for (const type of res.mediaTypes) {
        expect([status, allowed]).toEqual([status, expect.arrayContaining([type])]);
        const schema = resolveRef<Record<string, unknown>>(doc, res.schemas.get(type));
        const name = html ? 'HtmlPage' : type === 'application/json' ? 'OAuthError' : 'Problem';
        expect(schema).toBe(resolveRef(doc, { $ref: `#/components/schemas/${name}` }));
      }
    }
  });

  it('documents a WWW-Authenticate header on its 401', () => {
    const unauthorized = op.responses.get('401');
    if (unauthorized) expect(unauthorized.headers.has('www-authenticate')).toBe(true);
    else expect(pipelineStatuses(op)).not.toContain(401);
  });
});

it('declares one list of scopes: the Scope schema is the oauth2 scheme, and every required scope is in it', () => {
  const scopes = documentScopes(doc);
  expect(scopes).toEqual(['items:read', 'items:write', 'users:admin', 'tokens:introspect', 'clients:admin']);
  // The generated `Scope` type comes from the schema; users get their scopes checked against the scheme.
  expect(resolveRef<{ enum: string[] }>(doc, { $ref: '#/components/schemas/Scope' }).enum).toEqual(scopes);
  const required = new Set(operations.flatMap((op) => op.security.flatMap((r) => r.oauth2 ?? [])));
  expect([...required].filter((s) => !scopes.includes(s))).toEqual([]);
});

it('maps every problem code to a status some operation documents', () => {
  const documented = new Set(operations.flatMap((op) => [...op.responses.keys()]));
  // 404 and 405 come from routing, before any operation matched: they are not per operation.
  const perOperation = Object.values(PROBLEMS).filter((p) => p.status !== 404 && p.status !== 405 && p.status !== 403);
  expect(perOperation.filter((p) => !documented.has(String(p.status)))).toEqual([]);
});

describe('the reference documentation', () => {
  type Node = Record<string, unknown>;
  const components = (doc.components ?? {}) as Record<string, Record<string, Node> | undefined>;
  const described = (node: Node | undefined) =>
    typeof node?.description === 'string' && node.description.trim().length > 0;

  /** Every operation of the document, named `METHOD /path`, with its path item's parameters. */
  const ops = Object.entries(doc.paths).flatMap(([path, rawItem]) => {
    const item = resolveRef<Node>(doc, rawItem);
    return HTTP_METHODS.filter((m) => item[m]).map((m) => ({
      name: `${m.toUpperCase()} ${path}`,
      op: item[m] as Node,
      item,
    }));
  });

  /** One request or response body media type, once per media type object (shared responses once per status). */
  interface MediaSite {
    label: string;
    type: string;
    media: Node;
    /** The status it answers, for responses used by an operation. */
    status?: string;
  }
  const sites: MediaSite[] = [];
  const seen = new Map<Node, Set<string>>();
  const addContent = (where: string, content: unknown, status?: string) => {
    for (const [type, media] of Object.entries((content as Record<string, Node> | undefined) ?? {})) {
      const statuses = seen.get(media) ?? new Set<string>();
      // A shared response is checked for each status it answers; an unused one once.
      if (status === undefined ? seen.has(media) : statuses.has(status)) continue;
      seen.set(media, statuses.add(status ?? ''));
      sites.push({ label: `${where} ${type}`, type, media, ...(status ? { status } : {}) });
    }
  };
  for (const { name, op } of ops) {
    if (op.requestBody) addContent(`${name} request`, resolveRef<Node>(doc, op.requestBody).content);
    for (const [status, raw] of Object.entries((op.responses as Node | undefined) ?? {})) {
      addContent(`${name} ${status}`, resolveRef<Node>(doc, raw).content, status);
    }
  }
  // Components no operation uses yet are part of the reference too.
  for (const [name, res] of Object.entries(components.responses ?? {}))
    addContent(`components.responses.${name}`, res.content);
  for (const [name, body] of Object.entries(components.requestBodies ?? {}))
    addContent(`components.requestBodies.${name}`, body.content);

  /** The example values of a media type object: `example`, or each of `examples` (refs resolved). */
  function examplesOf(media: Node): [string, unknown][] {
    if ('example' in media) return [['example', media.example]];
    return Object.entries((media.examples as Node | undefined) ?? {}).map(([name, ex]) => [
      name,
      resolveRef<Node>(doc, ex).value,
    ]);
  }

  const compiler = new SchemaCompiler(doc);

  it('describes every operation', () => {
    expect(ops.filter(({ op }) => !described(op)).map(({ name }) => name)).toEqual([]);
  });

  it('describes every component schema, response and parameter', () => {
    const missing = (kind: string) =>
      Object.entries(components[kind] ?? {})
        .filter(([, node]) => !described(node))
        .map(([name]) => `components.${kind}.${name}`);
    expect([
      ...missing('schemas'),
      ...missing('responses'),
      ...missing('parameters'),
      ...missing('requestBodies'),
    ]).toEqual([]);
  });

  it('describes every parameter of every operation', () => {
    const undescribed = ops.flatMap(({ name, op, item }) =>
      [...((item.parameters as unknown[]) ?? []), ...((op.parameters as unknown[]) ?? [])]
        .map((p) => resolveRef<Node>(doc, p))
        .filter((p) => !described(p))
        .map((p) => `${name} ${String(p.in)} ${String(p.name)}`),
    );
    expect(undescribed).toEqual([]);
  });

  it('explains in info.description every problem code the service answers with', () => {
    const text = String(doc.info.description);
    expect(Object.keys(PROBLEMS).filter((code) => !text.includes(`\`${code}\``))).toEqual([]);
  });

  describe('the Errors section of info.description, where problem type URIs point', () => {
    // Redoc makes a section of every level-1 and level-2 markdown heading, a level-2 one nested in
    // the level-1 one before it: `# Errors` then `## <code>` is the anchor section/Errors/<code>,
    // the fragment of every problem type (src/core/problems.ts).
    const lines = String(doc.info.description).split('\n');
    const top = lines.flatMap((line, i) => (/^# /.test(line) ? [i] : []));
    const start = lines.indexOf('# Errors');
    const end = top.find((i) => i > start) ?? lines.length;
    const errors = lines.slice(start, end);
    const headings = errors.flatMap((line) => (/^## /.test(line) ? [line.slice(3)] : []));
    /** The text of the section of `code`: from its heading to the next one. */
    const sectionOf = (code: string) => {
      const from = errors.indexOf(`## ${code}`);
      const to = errors.findIndex((line, i) => i > from && /^#/.test(line));
      return errors.slice(from + 1, to === -1 ? undefined : to).join('\n');
    };

    it('is a level-1 heading, with no level-2 heading outside a level-1 one', () => {
      expect(start).toBeGreaterThanOrEqual(0);
      expect(lines.findIndex((line) => /^## /.test(line))).toBeGreaterThan(top[0] ?? Infinity);
    });

    it('has one level-2 heading per problem code, and no other', () => {
      expect([...headings].sort()).toEqual(Object.keys(PROBLEMS).sort());
    });

    it.each(Object.entries(PROBLEMS))('explains %s with its status and title', (code, entry) => {
      // A code is all [a-z_], which Redoc's slugify keeps as it is: the anchor is the code.
      expect(code).toMatch(/^[a-z_]+$/);
      const opening = `**${entry.status} ${entry.title}.** `;
      expect(sectionOf(code).slice(0, opening.length)).toBe(opening);
    });

    it('links each row of its summary table to the section of the code', () => {
      const text = errors.join('\n');
      expect(
        Object.keys(PROBLEMS).filter((code) => !text.includes(`| [\`${code}\`](#${ERRORS_SECTION_ANCHOR}${code}) |`)),
      ).toEqual([]);
    });
  });

  it('finds request and response bodies to check', () => {
    expect(sites.some((s) => s.label.includes(' request '))).toBe(true);
    expect(sites.some((s) => s.type === 'application/problem+json')).toBe(true);
    expect(sites.some((s) => s.type === 'application/x-www-form-urlencoded')).toBe(true);
  });

  describe.each(sites.map((s) => [s.label, s] as const))('%s', (_label, site) => {
    it('has an example', () => {
      if (site.media.schema === undefined) return;
      expect(examplesOf(site.media).length).toBeGreaterThan(0);
    });

    it('has examples that validate against its schema', () => {
      // Form fields arrive as strings and are coerced to the schema's types, as the pipeline does.
      const validate =
        site.type === 'application/x-www-form-urlencoded'
          ? compiler.compileCoercing(site.media.schema)
          : compiler.compileBody(site.media.schema);
      for (const [name, value] of examplesOf(site.media)) {
        // useDefaults fills in defaults: validate a copy, not the document.
        const ok = validate(structuredClone(value));
        expect([name, ok ? [] : toViolations(validate.errors, 'body')]).toEqual([name, []]);
      }
    });

    if (site.type === 'application/problem+json') {
      it('has problem examples that match the catalogue (src/core/errors.ts) and the status', () => {
        for (const [name, value] of examplesOf(site.media)) {
          const problem = value as { type: string; title: string; status: number; code: ProblemCode };
          const entry = PROBLEMS[problem.code];
          expect([name, entry && { type: problem.type, title: problem.title, status: problem.status }]).toEqual([
            name,
            { type: problemType(problem.code), title: entry?.title, status: entry?.status },
          ]);
          if (site.status) expect([name, String(problem.status)]).toEqual([name, site.status]);
        }
      });
    }
  });

  it('has schema-level examples that validate against their component schemas', () => {
    const invalid = Object.entries(components.schemas ?? {})
      .filter(([, schema]) => 'example' in schema)
      .map(([name, schema]) => {
        const validate = compiler.compileBody({ $ref: `#/components/schemas/${name}` });
        return [name, validate(structuredClone(schema.example)) ? [] : toViolations(validate.errors, 'body')] as const;
      })
      .filter(([, violations]) => violations.length > 0);
    expect(invalid).toEqual([]);
  });
});
