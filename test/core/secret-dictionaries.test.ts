/**
 * zxcvbn with its dictionaries narrowed to the value it reads (src/core/secret-dictionaries.ts,
 * what the strength check reads every JWT_SECRET with) finds what it finds with the whole
 * dictionaries: the same matches, at the same ranks, with the same guesses, in every piece of the
 * value, as the strength check reads it in pieces; whether the words are found by going through
 * the lists (the first value a process reads) or in the index of every word (every later one).
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { type Matcher, matcherFor, wholeMatcher } from '../../src/core/secret-dictionaries';

/** The value and the runs it is cut into (src/core/secret-patterns.ts reads such runs). */
const pieces = (value: string) => [value, ...(value.match(/[A-Za-z0-9]+|[^A-Za-z0-9]+/g) ?? [])];

/** What zxcvbn found in `text`, without its timing. */
function reading(matcher: Matcher, text: string) {
  const { guesses, sequence } = matcher.check(text);
  return { guesses, sequence };
}

function expectSameReadings(value: string) {
  const texts = pieces(value);
  for (const how of ['scan', 'index'] as const) {
    const narrowed = matcherFor(texts, how);
    for (const text of texts)
      expect([how, text, reading(narrowed, text)]).toEqual([how, text, reading(wholeMatcher(), text)]);
  }
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

it('reads no word out of the names every object inherits', () => {
  // zxcvbn ranks its dictionaries into plain objects, where `constructor` and `__proto__` look
  // like words: with the whole dictionaries, `constructor-__proto__` reads as a sequence of two
  // ordinal numbers. The narrowed dictionaries have no prototype. (`seventeenth`, another piece
  // of the value, is an ordinal number as long as `constructor`: zxcvbn then looks up pieces that
  // long in that list.)
  const texts = ['constructor-__proto__', 'seventeenth'];
  for (const how of ['scan', 'index'] as const) {
    const words = matcherFor(texts, how)
      .check('constructor-__proto__')
      .sequence.flatMap((match) => {
        const { words = [], matchedWord } = match as { words?: string[]; matchedWord?: string };
        return matchedWord === undefined ? words : [...words, matchedWord];
      });
    expect([how, words]).toEqual([how, ['construct', 'proto']]);
  }
});
