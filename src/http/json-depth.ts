/**
 * The nesting limit of JSON request bodies. JSON.parse itself copes with deep input, but every
 * recursive walk after it (schema validation, the U+0000 check, serialisers) would overflow the
 * stack on `[[[[…]]]]` thousands deep: a 500 any client can cause. No body this API takes nests
 * anywhere near the limit.
 */

/** The deepest nesting of arrays and objects a JSON body may have (info.description says so). */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether `raw` (JSON text, valid or not) nests arrays/objects deeper than `max`. One pass over
 * the bytes, no recursion: brackets inside strings (escapes included) do not count.
 */
export function nestsDeeperThan(raw: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}
