/**
 * How much randomness a signing secret carries. RFC 7518 §3.2: an HS256 key "of the same size as
 * the hash output (for instance, 256 bits) or larger MUST be used"; RFC 8725 §3.5: a human-
 * memorable password is not a key. Length alone does not tell: `changeme-changeme-changeme-...`
 * is 35+ bytes and a few bits of entropy.
 *
 * The estimate, in bits:
 * - The alphabet sets the price of a random character: hex 4 bits, base64/base64url 6 bits, any
 *   other text log2 of the character classes it draws on (lower, upper, digits, other).
 * - Patterns (./secret-patterns: words, names, common passwords, dates, repeats, sequences,
 *   keyboard walks, UUIDs) count only the bits of the guesses they take. A value that is not
 *   mostly patterns is charged for its long ones only, the rest at the alphabet's price.
 * - Hex and base64 values spell their bytes' worth, unless they are mostly patterns
 *   (`my-super-secret-key-...` is valid base64url): then the patterns set the price, as for any
 *   other text. Random bytes are never half made of patterns, so honest keys keep their worth;
 *   in hex, whose characters are mostly digits, a digit run that reads as a date is chance and
 *   does not count towards that half.
 * - Hex and base64 values are also decoded: bytes that barely vary, or that step by a constant
 *   (`000102...`), are refused whatever their spelling.
 *
 * `openssl rand -base64 48` gives 384 bits and passes with a wide margin.
 */
import { type PatternKind, readPatterns } from './secret-patterns';

/** RFC 7518 §3.2: HS256 needs a key of at least 256 bits. */
export const MIN_SECRET_BITS = 256;

/** How to make a good secret, quoted in every refusal. */
export const SECRET_ADVICE = 'make one with `openssl rand -base64 48`';

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/** What {@link estimateSecret} found. */
export interface SecretEstimate {
  /** Estimated bits of randomness. */
  bits: number;
  /** Why the value is weak, when a pattern gives it away (for the message; never the value). */
  pattern?: PatternKind | 'bytes';
}

/** Bits per character of random text drawn from `value`'s alphabet. */
function bitsPerChar(value: string): number {
  if (HEX.test(value)) return 4;
  if (BASE64.test(value) || BASE64URL.test(value)) return 6;
  let pool = 0;
  if (/[a-z]/.test(value)) pool += 26;
  if (/[A-Z]/.test(value)) pool += 26;
  if (/[0-9]/.test(value)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(value)) pool += 33;
  return Math.log2(pool);
}

/** The bytes a hex or base64(url) value spells, when it is one. */
function decoded(value: string): Buffer | undefined {
  if (HEX.test(value) && value.length % 2 === 0) return Buffer.from(value, 'hex');
  if (BASE64.test(value)) return Buffer.from(value, 'base64');
  if (BASE64URL.test(value)) return Buffer.from(value, 'base64url');
  return undefined;
}

/** How many distinct values n random bytes show on average: 256·(1 − (255/256)^n), 30 of 32. */
const expectedDistinct = (n: number) => 256 * (1 - (255 / 256) ** n);

/**
 * Bits that patterned bytes carry at most, or undefined when they look random. Random bytes take
 * many distinct values, and so do the steps between them; fewer than half the expected number is
 * far out of reach of chance (a repeated or counting pattern). Such bytes are priced at 8 bits per
 * distinct value or step, whichever is fewer.
 */
function patternedBits(bytes: Buffer): number | undefined {
  const values = new Set(bytes).size;
  const steps = new Set<number>();
  let previous: number | undefined;
  for (const byte of bytes) {
    if (previous !== undefined) steps.add((byte - previous + 256) % 256);
    previous = byte;
  }
  if (values >= expectedDistinct(bytes.length) / 2 && steps.size >= expectedDistinct(bytes.length - 1) / 2)
    return undefined;
  return 8 * Math.min(values, steps.size);
}

/** Estimates the randomness of `value` (see the module comment for how). */
export function estimateSecret(value: string): SecretEstimate {
  const perChar = bitsPerChar(value);
  const bytes = decoded(value);
  const reading = readPatterns(value, perChar, HEX.test(value));
  // An encoding spells exactly its bytes' worth; padding spells nothing.
  const padding = value.length - value.replace(/=+$/, '').length;
  const bits = bytes ? 8 * bytes.length : reading.cautious - padding * perChar;
  const patterned = bytes && patternedBits(bytes);
  if (patterned !== undefined) return { bits: Math.min(bits, patterned), pattern: 'bytes' };
  if (reading.mostlyPatterns) return { bits: Math.min(bits, reading.phrase), pattern: reading.pattern };
  return { bits };
}

/** How a refusal names the pattern that gave the value away. */
const MADE_OF: Record<NonNullable<SecretEstimate['pattern']>, string> = {
  repeat: 'a repeat',
  sequence: 'a sequence',
  words: 'words',
  keyboard: 'a keyboard',
  bytes: 'patterned bytes',
  uuids: 'UUIDs, 122 random bits each at most',
};

/** Why `value` is too weak for an HS256 key, or undefined when it carries 256 bits or more. */
export function secretWeakness(name: string, value: string): string | undefined {
  const { bits, pattern } = estimateSecret(value);
  if (bits >= MIN_SECRET_BITS) return undefined;
  const why = pattern ? `, it is made of ${MADE_OF[pattern]}` : '';
  return `${name} must carry at least ${MIN_SECRET_BITS} bits of randomness (RFC 7518 §3.2): about ${Math.floor(bits)} estimated${why}; ${SECRET_ADVICE}`;
}
