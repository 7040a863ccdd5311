/**
 * zxcvbn with its dictionaries narrowed to the value it reads (src/core/secret-dictionaries.ts,
 * what production start-up reads its JWT_SECRET with) finds what it finds with the whole
 * dictionaries: the same matches, at the same ranks, with the same guesses, in every piece of the
 * value, as the strength check reads it in pieces.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { narrowedMatcher, wholeMatcher } from '../../src/core/secret-dictionaries';

/** The value and the runs it is cut into (src/core/secret-patterns.ts reads such runs). */
const pieces = (value: string) => [value, ...(value.match(/[A-Za-z0-9]+|[^A-Za-z0-9]+/g) ?? [])];

/** What zxcvbn found in `text`, without its timing. */
function reading(matcher: ReturnType<typeof wholeMatcher>, text: string) {
  const { guesses, sequence } = matcher.check(text);
  return { guesses, sequence };
}

function expectSameReadings(value: string) {
  const narrowed = narrowedMatcher(value);
  for (const text of pieces(value))
    expect([text, reading(narrowed, text)]).toEqual([text, reading(wholeMatcher(), text)]);
}

it.each([
  'changeme-changeme-changeme-changeme-changeme',
  'correct horse battery staple correct horse battery staple',
  'ThisIsMySuperSecretJwtSigningKeyForProductionUseOnly2024!',
  'thisismysupersecretjwtsigningkeyforproductionuseonly',
  'qwertyuiopasdfghjklzxcvbnmqwertyuiopasdfghjklzxcvbnm1234567890',
  'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG',
  '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
  'ffd4a479059ee1d6339181eeee11a7ac7c710046896cfa312803541276076d67',
  'the quick brown fox jumps over the lazy dog again and again',
  'specgate-prod-eu-west-1-2026-12-07-secret-key-v1',
  'oneTwoThree-fourFiveSix-January-February-mercury-venus',
  'drowssap-terces-nimda-1qaz2wsx',
  // Lower-cased to two code units ("i̇"), and a sigma, whose lower case hangs on what follows.
  'İstanbul-İzmir-password',
  'ΣΟΦΙΑ-ΟΔΥΣΣΕΑΣ-passwordΣ',
])('finds the same in %s', (value) => expectSameReadings(value));

it('finds the same in random keys of every usual encoding', () => {
  for (const encoding of ['hex', 'base64', 'base64url'] as const)
    for (const bytes of [32, 40, 48, 64]) expectSameReadings(randomBytes(bytes).toString(encoding));
}, 60_000);

it('finds the same in any string', () => {
  const words = fc.constantFrom('password', 'dragon', 'Monkey', '1999', 'qwerty', 'smith', 'ΣΑ', 'İ', '-', ' ');
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.array(words, { maxLength: 8 }).map((w) => w.join('')),
  );
  fc.assert(
    fc.property(text, (value) => expectSameReadings(value)),
    { numRuns: 40 },
  );
}, 60_000);
