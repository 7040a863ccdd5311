/**
 * The patterns a signing secret is made of: words, names, common passwords, dates, repeats,
 * sequences, keyboard walks (zxcvbn, @zxcvbn-ts) and UUIDs (./secret-uuid), and what they leave
 * of its randomness.
 *
 * The value is cut at separators (spaces, hyphens, any punctuation) and each part is read on its
 * own. zxcvbn picks the split of a string that is cheapest to guess *as a password*, and on a whole
 * phrase that is often a few long brute-force runs (` quick `, `-key-for-specgate-`) rather than a
 * dozen short words; cut first, each word is found as a word. Reading parts is also cheaper than
 * reading the whole: zxcvbn looks up every substring, and the parts have fewer.
 */

import { matcherFor } from './secret-dictionaries';
import { UUID_PATTERN, uuidRandomBits } from './secret-uuid';

/** What a value is made of, named in a refusal. */
export type PatternKind = 'repeat' | 'sequence' | 'words' | 'keyboard' | 'uuids';

/** What the patterns in a value leave of its randomness. */
export interface Reading {
  /** Bits, with only patterns of {@link MIN_PATTERN_LENGTH}+ characters charged as patterns. */
  cautious: number;
  /** Bits when the value is known to be a phrase: every pattern charged as one. */
  phrase: number;
  /** Whether patterns make up at least half of the value's letters and digits. */
  mostlyPatterns: boolean;
  /** The kind of pattern that accounts for the most characters. */
  pattern?: PatternKind;
}

/**
 * Shorter patterns are left to the alphabet's price unless the value is mostly patterns: random
 * base64 holds a 3-5 letter word or a year now and then, and charging those as words would refuse
 * honest `openssl rand` output.
 */
const MIN_PATTERN_LENGTH = 6;

/** Patterns this long or longer count towards how much of a value is made of them. */
const MIN_COVERING_LENGTH = 4;

const KINDS: Record<string, PatternKind> = {
  repeat: 'repeat',
  sequence: 'sequence',
  dictionary: 'words',
  regex: 'words',
  date: 'words',
  spatial: 'keyboard',
};

const ALPHANUMERIC = /[A-Za-z0-9]/;

/** `value` cut into UUIDs and runs of letters and digits or of anything else, in order. */
function* parts(value: string): Generator<{ text: string; at: number; uuid: boolean }> {
  let at = 0;
  function* runs(end: number) {
    for (const run of value.slice(at, end).matchAll(/[A-Za-z0-9]+|[^A-Za-z0-9]+/g))
      yield { text: run[0], at: at + run.index, uuid: false };
  }
  for (const uuid of value.matchAll(UUID_PATTERN)) {
    yield* runs(uuid.index);
    yield { text: uuid[0], at: uuid.index, uuid: true };
    at = uuid.index + uuid[0].length;
  }
  yield* runs(value.length);
}

/**
 * Reads `value`, a random character of which is worth `perChar` bits. `hex`: the value is hex,
 * where most characters are digits and a run of five to eight of them reads as a date by chance
 * (`39181`, `100468`, `1276076`, all from one random key): such dates are priced as dates, but
 * do not make the value a phrase.
 */
export function readPatterns(value: string, perChar: number, hex = false): Reading {
  const covered = new Uint8Array(value.length);
  const kinds = new Map<PatternKind, number>();
  const cover = (from: number, length: number, kind: PatternKind) => {
    covered.fill(1, from, from + length);
    kinds.set(kind, (kinds.get(kind) ?? 0) + length);
  };

  let cautious = 0;
  let phrase = 0;
  const all = [...parts(value)];
  const zxcvbn = matcherFor(all.filter((part) => !part.uuid).map((part) => part.text));
  for (const part of all) {
    if (part.uuid) {
      cover(part.at, part.text.length, 'uuids');
      cautious += uuidRandomBits(part.text);
      phrase += uuidRandomBits(part.text);
      continue;
    }
    for (const match of zxcvbn.check(part.text).sequence) {
      const length = match.token.length;
      const kind = KINDS[match.pattern];
      // A whole word between separators counts however short (`fox`, `key`): chance rarely puts
      // one there, and a phrase is mostly made of them.
      const chance = hex && match.pattern === 'date';
      if (kind && !chance && (length >= MIN_COVERING_LENGTH || length === part.text.length))
        cover(part.at + match.i, length, kind);
      const random = length * perChar;
      const guessed = match.pattern === 'bruteforce' ? random : Math.min(Math.log2(match.guesses), random);
      cautious += length < MIN_PATTERN_LENGTH ? random : guessed;
      phrase += guessed;
    }
  }

  // Separators count only where they form a pattern themselves (`!@#$%^&*()`): a space between
  // words is neither random nor a word.
  let coveredCount = 0;
  let counted = 0;
  for (let i = 0; i < value.length; i++) {
    if (!covered[i] && !ALPHANUMERIC.test(value.charAt(i))) continue;
    counted++;
    coveredCount += covered[i] ?? 0;
  }
  const [pattern] = [...kinds].sort((a, b) => b[1] - a[1])[0] ?? [];
  return { cautious, phrase, mostlyPatterns: coveredCount > 0 && coveredCount * 2 >= counted, pattern };
}
