/**
 * Fuzzing, valid side: for every operation of the document, requests generated from its schemas
 * (with fixtures bound where the schema cannot know the value: credentials, existing ids, a real
 * cursor, a matching If-Match) must get a documented success status — never a 4xx, never a 5xx.
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
          if (!success)
            throw new Error(
              `${id}: a valid request got ${res.status}:\n  ${describeRequest(op, d)}\n  response: ${res.text.slice(0, 400)}`,
            );
        }),
      );
      expect(ctx.statsOf(id).byKind.valid).toBeGreaterThanOrEqual(RUNS);
    },
    TEST_TIMEOUT_MS,
  );
});
