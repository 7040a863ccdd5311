/**
 * Fuzzing, valid side: for every operation of the document, requests generated from its schemas
 * (with fixtures bound where the schema cannot know the value: credentials, existing ids, a real
 * cursor, a matching If-Match, a sealed request and its CSRF cookie) must get a documented success
 * status — never a 5xx, and never a 4xx but where the plan says the case is one (the login form
 * again after a wrong password). The sign-in pages' plans name the exact page or redirect.
 * See fuzz-harness.ts for how requests are derived; FUZZ_SEED / FUZZ_RUNS control the campaign.
 */
import fc from 'fast-check';
import {
  bindingFor,
  check,
  describeRequest,
  draftOf,
  generatedParts,
  PLANS,
  RUNS,
  TEST_TIMEOUT_MS,
  useFuzzContext,
} from './fuzz-harness';

const FILE = 'valid';
const ctx = useFuzzContext(FILE);

it('has a fuzz plan for every operation of the document, and no plan without an operation', () => {
  const ids = ctx.ops.map((o) => o.id);
  expect(ids.length).toBeGreaterThan(0);
  expect(ids.filter((id) => !PLANS[id])).toEqual([]);
  expect(Object.keys(PLANS).filter((id) => !ids.includes(id))).toEqual([]);
});

describe.each(ctx.ops.map((op) => [op.id, op] as const))('%s', (id, op) => {
  it(
    'answers generated valid requests with a documented success status',
    async () => {
      await check(
        FILE,
        id,
        fc.asyncProperty(generatedParts(ctx, op), async (g) => {
          const binding = await bindingFor(ctx, op, g.choice);
          const d = draftOf(ctx, op, g, binding);
          const res = await ctx.send(op, d, 'valid');
          const success =
            (res.status >= 200 && res.status < 300) || (res.status === 304 && d.headers['if-none-match'] !== undefined);
          // A plan that knows better (pages, redirects, the form again) says what this case must get.
          const expected = PLANS[id]!.expected;
          const wrong = expected ? expected(res, g.choice) : success ? undefined : 'want a documented success status';
          if (wrong !== undefined)
            throw new Error(
              `${id}: a valid request got ${res.status} (${wrong}):\n  ${describeRequest(op, d)}\n  response: ${res.text.slice(0, 400)}`,
            );
        }),
      );
      expect(ctx.statsOf(id).byKind.valid).toBeGreaterThanOrEqual(RUNS);
    },
    TEST_TIMEOUT_MS,
  );
});
