/**
 * Fuzzing, invalid side: for every operation of the document, requests with one thing broken —
 * a body that violates its schema (wrong type, out of range, too long / short, pattern, format,
 * enum, unknown or missing property), malformed JSON, a wrong or unsupported Content-Type, an
 * oversized body, a broken or unknown path parameter, invalid query or header parameters, an
 * unacceptable Accept, missing / bad credentials or scopes — must get the documented 4xx for that
 * breakage, in the operation's error format (OAuth error JSON on `x-error-format: oauth`
 * operations, problem+json elsewhere). Schema-valid requests left unbound to fixtures (random
 * credentials, cursors, If-Match values) may get a documented 4xx but never a 5xx.
 */
import fc from 'fast-check';
import {
  assertErrorFormat,
  assertNo5xx,
  bindingFor,
  breakDraft,
  breakers,
  check,
  describeRequest,
  draftOf,
  generatedParts,
  PLANS,
  RUNS,
  TEST_TIMEOUT_MS,
  useFuzzContext,
} from './fuzz-harness';

const FILE = 'invalid';
const ctx = useFuzzContext(FILE);

it('has a fuzz plan for every operation of the document', () => {
  expect(ctx.ops.filter((op) => !PLANS[op.id]).map((op) => op.id)).toEqual([]);
});

describe.each(ctx.ops.map((op) => [op.id, op] as const))('%s', (id, op) => {
  it(
    'answers generated invalid requests with the documented 4xx, in its error format',
    async () => {
      await check(
        FILE,
        `${id} invalid`,
        fc.asyncProperty(generatedParts(ctx, op), breakers(ctx, op), async (g, breaker) => {
          const binding = await bindingFor(ctx, op, g.choice);
          const d = await breakDraft(ctx, draftOf(ctx, op, g, binding), breaker);
          const res = await ctx.send(op, d, breaker.kind);
          const context = `${breaker.kind}: ${breaker.reason}\n  ${describeRequest(op, d)}`;
          assertNo5xx(op, res, context);
          if (!breaker.expect.includes(res.status)) {
            throw new Error(
              `${id}: want ${breaker.expect.join(' or ')}, got ${res.status}:\n  ${context}\n  response: ${res.text.slice(0, 400)}`,
            );
          }
          assertErrorFormat(op, res, context, d);
        }),
      );
      expect(ctx.statsOf(id).requests).toBeGreaterThanOrEqual(RUNS);
    },
    TEST_TIMEOUT_MS,
  );

  // Only where a plan binds fixtures: elsewhere the generated request is already the valid one.
  if (PLANS[id]?.bind === undefined) return;
  it(
    'never answers schema-valid requests not bound to fixtures with a 5xx',
    async () => {
      await check(
        FILE,
        `${id} unbound`,
        fc.asyncProperty(generatedParts(ctx, op), async (g) => {
          const binding = await bindingFor(ctx, op, g.choice);
          const d = draftOf(ctx, op, g, binding, true);
          const res = await ctx.send(op, d, 'unbound');
          const context = `unbound schema-valid request\n  ${describeRequest(op, d)}`;
          assertNo5xx(op, res, context);
          if (res.status >= 400) assertErrorFormat(op, res, context, d);
        }),
      );
    },
    TEST_TIMEOUT_MS,
  );
});
