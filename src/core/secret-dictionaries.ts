/**
 * The zxcvbn that reads a signing secret (./secret-patterns), with its dictionaries
 * (@zxcvbn-ts/language-common and -en), loaded on first use.
 *
 * Before its first check, zxcvbn ranks every word of its dictionaries: 240,000 words, about 350 ms
 * of CPU. Then it only ever looks up pieces of what it reads, in lower case: every substring, and
 * every substring of it reversed; a word that does not occur there is never found. So to read one
 * value, {@link matcherFor} can hand zxcvbn dictionaries that keep only the words occurring in the
 * value, each at its own position (zxcvbn's rank of a word is its position in its list; the others
 * become '', which is never looked up, every piece having a character), and zxcvbn finds the same
 * words at the same ranks, for some 50 ms instead of 350. Narrowing costs that much for every value,
 * though, and shortens a check little: a process that reads many values (the tests) ranks the whole
 * dictionaries once instead. (Reading a string with l33t substitutions or Levenshtein distances
 * would look up other strings: both are off here.)
 */
import type * as ZxcvbnCore from '@zxcvbn-ts/core';
import type { OptionsType, ZxcvbnFactory } from '@zxcvbn-ts/core';
import type * as ZxcvbnCommon from '@zxcvbn-ts/language-common';
import type * as ZxcvbnEn from '@zxcvbn-ts/language-en';

type Lists = NonNullable<OptionsType['dictionary']>;

let loaded: { lists: Lists; longest: number; options: (dictionary: Lists) => OptionsType } | undefined;

/** Loads the dictionaries and zxcvbn now, ahead of a value to read (./secret-strength-thread). */
export function loadDictionaries(): void {
  dictionaries();
  require('@zxcvbn-ts/core');
}

function dictionaries(): NonNullable<typeof loaded> {
  if (!loaded) {
    const common = require('@zxcvbn-ts/language-common') as typeof ZxcvbnCommon;
    const en = require('@zxcvbn-ts/language-en') as typeof ZxcvbnEn;
    const lists: Lists = { ...common.dictionary, ...en.dictionary };
    let longest = 0;
    for (const list of Object.values(lists)) for (const word of list) longest = Math.max(longest, String(word).length);
    // l33t substitutions are off: they cost seconds on long random strings and a key is not a
    // password someone decorated with digits. (Off, zxcvbn looks up nothing but the pieces above.)
    const options = (dictionary: Lists) => ({ dictionary, graphs: common.adjacencyGraphs, l33tMaxSubstitutions: 0 });
    loaded = { lists, longest, options };
  }
  return loaded;
}

const create = (options: OptionsType): ZxcvbnFactory =>
  new (require('@zxcvbn-ts/core') as typeof ZxcvbnCore).ZxcvbnFactory(options);

let whole: ZxcvbnFactory | undefined;
/** zxcvbn with the whole dictionaries, ranked once per process. */
export function wholeMatcher(): ZxcvbnFactory {
  const { lists, options } = dictionaries();
  whole ??= create(options(lists));
  return whole;
}

/** zxcvbn with the dictionaries narrowed to `value`: what it finds in `value` (or any piece of it), the whole would. */
export function narrowedMatcher(value: string): ZxcvbnFactory {
  const { lists, longest, options } = dictionaries();
  // A Greek capital sigma lower-cases by what follows it, so a piece's lower case need not occur
  // in the whole value's: such a value is read with every word.
  if (value.includes('\u03a3')) return wholeMatcher();
  const pieces = new Set<string>();
  // As zxcvbn reverses a string: by UTF-16 code units.
  for (const text of [value.toLowerCase(), value.split('').reverse().join('').toLowerCase()])
    for (let i = 0; i < text.length; i++)
      for (let end = i + 1; end <= Math.min(text.length, i + longest); end++) pieces.add(text.slice(i, end));
  const narrowed: Lists = {};
  // Every list, in the same order (zxcvbn goes through them in order), each up to its last word found.
  for (const [name, list] of Object.entries(lists)) {
    const kept: (string | number)[] = [];
    list.forEach((word, i) => {
      if (!pieces.has(String(word))) return;
      while (kept.length < i) kept.push('');
      kept[i] = word;
    });
    narrowed[name] = kept;
  }
  return create(options(narrowed));
}

let readBefore = false;
/**
 * The zxcvbn to read `value` with: narrowed to it for the first value a process reads (production
 * start-up reads one, its JWT_SECRET), the whole dictionaries for every later one.
 */
export function matcherFor(value: string): ZxcvbnFactory {
  if (readBefore) return wholeMatcher();
  readBefore = true;
  return narrowedMatcher(value);
}
