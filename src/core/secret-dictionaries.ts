/**
 * The zxcvbn that reads a signing secret (./secret-patterns), with its dictionaries
 * (@zxcvbn-ts/language-common and -en), loaded on first use.
 *
 * zxcvbn looks up, in lower case, every substring of what it reads (up to its longest word, 23
 * characters) and every substring of it reversed, in each of its 20 ranked dictionaries, and again
 * for word sequences: some 70 lookups in tables of up to 89,000 words for each of a 64-character
 * key's 1,300 substrings, two thirds of the time it took to read one. A word that does not occur
 * among those substrings is never found, so {@link matcherFor} hands zxcvbn ranked dictionaries
 * that keep only the words occurring in the texts it reads, each at its own rank (its position in
 * its list): zxcvbn finds the same words at the same ranks and scores them the same, from tables
 * of a few words (13 ms of CPU for a hex key became 4). (With l33t substitutions or Levenshtein
 * distances zxcvbn would look up other strings: both are off here.)
 *
 * The words occurring are found in an index of every word and of every beginning of one, built
 * once (./secret-word-index), for a process that reads many values (the tests); the first value a
 * process reads (production start-up reads one, its JWT_SECRET) is found by going through the lists
 * instead: 9 ms of CPU, against 0.5 s to build the index.
 *
 * Unlike zxcvbn's own, the narrowed dictionaries have no prototype: `constructor` and `__proto__`
 * are no words (in zxcvbn's plain objects, they are found, at ranks that are no numbers).
 */
import type * as ZxcvbnCore from '@zxcvbn-ts/core';
import type { Options, OptionsType, RankedDictionaries, ZxcvbnFactory, ZxcvbnResult } from '@zxcvbn-ts/core';
import type * as ZxcvbnCommon from '@zxcvbn-ts/language-common';
import type * as ZxcvbnEn from '@zxcvbn-ts/language-en';
import { type Found, findByScan, type WordIndex, wordIndex } from './secret-word-index';

type Lists = NonNullable<OptionsType['dictionary']>;

let loaded: { lists: Lists; longest: number; options: (dictionary: Lists) => OptionsType } | undefined;

/** Loads the dictionaries and zxcvbn now, ahead of a value to read (./secret-strength-thread). */
export function loadDictionaries(): void {
  dictionaries();
  reader();
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

const zxcvbnCore = () => require('@zxcvbn-ts/core') as typeof ZxcvbnCore;

let whole: ZxcvbnFactory | undefined;
/** zxcvbn with the whole dictionaries, ranked once per process: what {@link matcherFor} must agree with. */
export function wholeMatcher(): ZxcvbnFactory {
  const { lists, options } = dictionaries();
  whole ??= new (zxcvbnCore().ZxcvbnFactory)(options(lists));
  return whole;
}

/** The ranked dictionaries zxcvbn reads with, swapped for each read (public fields of its Options). */
type Dictionaries = Pick<Options, 'rankedDictionaries' | 'rankedDictionariesMaxWordSize'>;

let shared: { zxcvbn: ZxcvbnFactory; held: Dictionaries } | undefined;
/**
 * One zxcvbn for every read, built with empty lists (nothing to rank). Its Options object is
 * private to ZxcvbnFactory but read afresh by every match: a zxcvbn that stopped doing so would
 * read with empty dictionaries and pass any phrase, so that is checked here, once, on a word.
 */
function reader(): NonNullable<typeof shared> {
  if (!shared) {
    const { lists, options } = dictionaries();
    const core = zxcvbnCore();
    const empty = Object.fromEntries(Object.keys(lists).map((name) => [name, []]));
    const zxcvbn = new core.ZxcvbnFactory(options(empty));
    const held = (zxcvbn as unknown as { options: unknown }).options;
    if (!(held instanceof core.Options)) throw new Error('zxcvbn no longer keeps its Options where expected');
    shared = { zxcvbn, held };
    const [name = ''] = Object.keys(lists);
    install({ ranked: { [name]: { zxcvbn: 1 } }, longest: { [name]: 6 } });
    const [match] = zxcvbn.check('zxcvbn').sequence;
    if (match?.pattern !== 'dictionary' || match.rank !== 1)
      throw new Error('zxcvbn no longer reads the ranked dictionaries it is handed');
  }
  return shared;
}

function install(found: Found): void {
  const { held } = reader();
  held.rankedDictionaries = found.ranked as RankedDictionaries;
  held.rankedDictionariesMaxWordSize = found.longest;
}

let index: WordIndex | undefined;

/**
 * Every piece of `texts` zxcvbn looks up: lower case, forwards and reversed by UTF-16 code units, as
 * it reverses. `visit` returns whether the pieces that extend this one are worth visiting.
 */
function forEachPiece(texts: readonly string[], longest: number, visit: (piece: string) => boolean): void {
  for (const text of texts)
    for (const seen of [text.toLowerCase(), text.split('').reverse().join('').toLowerCase()])
      for (let i = 0; i < seen.length; i++)
        for (let end = i + 1; end <= Math.min(seen.length, i + longest); end++) if (!visit(seen.slice(i, end))) break;
}

/** The words of every list that occur among the pieces of `texts`, with their ranks. */
function wordsIn(texts: readonly string[], how: 'scan' | 'index'): Found {
  const { lists, longest } = dictionaries();
  if (how === 'index') {
    const words = (index ??= wordIndex(lists));
    const found = words.nothingFound();
    forEachPiece(texts, longest, (piece) => words.record(found, piece));
    return found;
  }
  const pieces = new Set<string>();
  forEachPiece(texts, longest, (piece) => pieces.add(piece).size > 0);
  return findByScan(lists, pieces);
}

/** What {@link matcherFor} gives: zxcvbn's check, for the texts it was made for. */
export interface Matcher {
  check(text: string): Pick<ZxcvbnResult, 'guesses' | 'sequence'>;
}

let readBefore = false;
/**
 * zxcvbn reading any of `texts` (the pieces of one value) with the words occurring in them only:
 * it finds what the whole dictionaries give ({@link wholeMatcher}). The first value a process
 * reads is looked up by scanning the lists, every later one in the index. `how` forces either.
 */
export function matcherFor(texts: readonly string[], how: 'scan' | 'index' = readBefore ? 'index' : 'scan'): Matcher {
  readBefore = true;
  const found = wordsIn(texts, how);
  return {
    check(text) {
      if (!texts.includes(text)) throw new Error('this matcher reads only the texts it was made for');
      // Installed again at every read: another value's matcher may have been used meanwhile.
      install(found);
      return reader().zxcvbn.check(text);
    },
  };
}
