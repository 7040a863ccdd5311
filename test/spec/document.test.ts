/**
 * The document and the code stay in step: every status the pipeline can produce for an operation
 * is documented for it, in the error format the operation declares.
 */
import { PROBLEMS } from '../../src/core/errors';
import { loadDocument, resolveRef } from '../../src/pipeline/document';
import { compileOperations } from '../../src/pipeline/operations';

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
      // Bearer challenges (401/403, RFC 6750 §3) are problem documents even on OAuth endpoints.
      const oauth = op.errorFormat === 'oauth' && status !== '401' && status !== '403';
      const expected = oauth ? 'application/json' : 'application/problem+json';
      expect([status, res.mediaTypes]).toEqual([status, [expected]]);
      const schema = resolveRef<Record<string, unknown>>(doc, res.schemas.get(expected));
      expect(schema).toBe(resolveRef(doc, { $ref: `#/components/schemas/${oauth ? 'OAuthError' : 'Problem'}` }));
    }
  });

  it('documents a WWW-Authenticate header on its 401', () => {
    const unauthorized = op.responses.get('401');
    if (unauthorized) expect(unauthorized.headers.has('www-authenticate')).toBe(true);
    else expect(pipelineStatuses(op)).not.toContain(401);
  });
});

it('maps every problem code to a status some operation documents', () => {
  const documented = new Set(operations.flatMap((op) => [...op.responses.keys()]));
  // 404 and 405 come from routing, before any operation matched: they are not per operation.
  const perOperation = Object.values(PROBLEMS).filter((p) => p.status !== 404 && p.status !== 405 && p.status !== 403);
  expect(perOperation.filter((p) => !documented.has(String(p.status)))).toEqual([]);
});
