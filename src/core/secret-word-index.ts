/**
 * Which words of zxcvbn's dictionaries occur among the pieces of a value (./secret-dictionaries),
 * with the rank zxcvbn gives each: its position in its list, counted from 1, the later one for a
 * word listed twice (zxcvbn ranks a list by assigning each word its position in turn).
 */
import type { OptionsType } from '@zxcvbn-ts/core';

type Lists = NonNullable<OptionsType['dictionary']>;

/** zxcvbn's ranked dictionaries, narrowed to the words found: every list, in its order. */
export interface Found {
  /** List name to word to rank; no prototype, so a piece such as `constructor` is no word. */
  ranked: Record<string, Record<string, number>>;
  /** List name to the length of its longest word found (zxcvbn skips longer pieces). */
  longest: Record<string, number>;
}

function nothingFound(names: readonly string[]): Found {
  const found: Found = { ranked: {}, longest: {} };
  for (const name of names) {
    found.ranked[name] = Object.create(null) as Record<string, number>;
    found.longest[name] = 0;
  }
  return found;
}

function record(found: Found, name: string, word: string, rank: number): void {
  const ranked = found.ranked[name];
  if (!ranked) return;
  ranked[word] = rank;
  found.longest[name] = Math.max(found.longest[name] ?? 0, word.length);
}

/** The words of `lists` among `pieces`, found by going through every list (about 240,000 words). */
export function findByScan(lists: Lists, pieces: ReadonlySet<string>): Found {
  const found = nothingFound(Object.keys(lists));
  for (const [name, list] of Object.entries(lists))
    list.forEach((entry, i) => {
      // Not String(entry): a global read per word, which a jest sandbox makes 20 times as slow.
      const word = `${entry}`;
      if (pieces.has(word)) record(found, name, word, i + 1);
    });
  return found;
}

/**
 * Every word of the lists, with where it is listed, and every beginning of a word: built once, then
 * a piece is looked up only while it begins some word (random text rarely begins one for long).
 */
export interface WordIndex {
  /** A {@link Found} with nothing in it yet. */
  nothingFound(): Found;
  /** Adds `piece` to `found` if it is a word of any list; whether any word begins with it. */
  record(found: Found, piece: string): boolean;
}

/** What the index holds for the beginning of a word that is not a word itself. */
const NOT_A_WORD: readonly number[] = [];

export function wordIndex(lists: Lists): WordIndex {
  const names = Object.keys(lists);
  // Word to [list number, rank, list number, rank, ...]: most words are in one list or two.
  const places = new Map<string, readonly number[]>();
  names.forEach((name, n) => {
    (lists[name] ?? []).forEach((entry, i) => {
      const word = `${entry}`;
      for (let end = 1; end < word.length; end++) {
        const start = word.slice(0, end);
        if (!places.has(start)) places.set(start, NOT_A_WORD);
      }
      const listed = places.get(word);
      if (!listed || listed === NOT_A_WORD) places.set(word, [n, i + 1]);
      else if (listed[listed.length - 2] === n) places.set(word, [...listed.slice(0, -1), i + 1]);
      else places.set(word, [...listed, n, i + 1]);
    });
  });
  return {
    nothingFound: () => nothingFound(names),
    record(found, piece) {
      const listed = places.get(piece);
      if (!listed) return false;
      for (let k = 0; k < listed.length; k += 2) record(found, names[listed[k] ?? -1] ?? '', piece, listed[k + 1] ?? 0);
      return true;
    },
  };
}
