/**
 * What a new password must satisfy (account creation, password change). Deliberately short, as
 * ASVS 5.0 V6.2 / NIST SP 800-63B ask: a length range, a common-password check and "not the
 * username". No composition rules (ASVS 5.0 6.2.5), no truncation and no case changes (6.2.8):
 * the caller hashes exactly the string it was given. Existing passwords are never re-checked at
 * login; this only gates new ones.
 */
import type * as ZxcvbnCommon from '@zxcvbn-ts/language-common';
import { normaliseUsername } from '../core/username';

/** Fewest characters (Unicode code points) a password may have (ASVS 5.0 6.2.1). */
export const MIN_PASSWORD_LENGTH = 8;

/**
 * Most characters (Unicode code points) a password may have. At least 64 must be allowed
 * (ASVS 5.0 6.2.9); 128 follows ASVS 4.0.3 2.1.2 and caps the input at 512 UTF-8 bytes so a
 * huge "password" cannot be used to burn hashing time.
 */
export const MAX_PASSWORD_LENGTH = 128;

/**
 * Trailing ASCII digits and punctuation/symbols, the decoration people add to a common word to get
 * past composition rules ("password123!", "sunshine2024"). Stripped once before a second lookup.
 */
const TRAILING_DECORATION = /[0-9!-/:-@[-`{-~]+$/;

/** Length in Unicode code points: an emoji is one character, not two UTF-16 units. */
function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Words of this service's own context (NIST SP 800-63B 5.1.1.2: "the name of the service"). */
const CONTEXT_WORDS = ['specgate'];

let common: ReadonlySet<string> | undefined;

/**
 * Passwords too common to allow (ASVS 5.0 6.2.4: check new passwords against the most common
 * ones; ASVS 4.0.3 2.1.7): the common-password list zxcvbn ships (`@zxcvbn-ts/language-common`,
 * about 49,000 passwords ranked from leaked-password lists, well past the top 3,000 ASVS asks for)
 * and {@link CONTEXT_WORDS}. Only entries of {@link MIN_PASSWORD_LENGTH}+ code points are kept:
 * anything shorter is refused by the length rule. All are lower-case: lookups lower-case first.
 * A k-anonymity breached-password lookup can be layered on top.
 */
export function commonPasswords(): ReadonlySet<string> {
  // Built on first use (a password set), not when the service starts: loading and decompressing
  // the list takes ~50 ms of a start-up that sets no password.
  if (!common) {
    const { dictionary } = require('@zxcvbn-ts/language-common') as typeof ZxcvbnCommon;
    common = new Set(
      [...dictionary['passwords-common'], ...CONTEXT_WORDS]
        .map((p) => p.toLowerCase())
        .filter((p) => codePointLength(p) >= MIN_PASSWORD_LENGTH),
    );
  }
  return common;
}

/**
 * Why `password` is not acceptable as a new password, as a phrase that completes "The password …"
 * (e.g. `'must be at least 8 characters'`, `'is too common'`, `'must not be the username'`), or
 * `undefined` when it is acceptable.
 *
 * Rules, in order:
 * 1. {@link MIN_PASSWORD_LENGTH}–{@link MAX_PASSWORD_LENGTH} code points; spaces count.
 * 2. Not the username: compared after trimming and lower-casing both (how usernames are normalised).
 * 3. Not in {@link commonPasswords}, compared case-insensitively; then, if stripping trailing
 *    ASCII digits/punctuation leaves something that still has at least {@link MIN_PASSWORD_LENGTH}
 *    code points, that stem must not be in the list either ("Password123!" → "password" → refused).
 *    Stems shorter than the minimum are not looked up ("summer2024" is judged as a whole).
 */
export function passwordProblem(password: string, username?: string): string | undefined {
  // Length first: it also bounds the work the checks below do on attacker-supplied input.
  const length = codePointLength(password);
  if (length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters`;

  if (username !== undefined) {
    const normalisedUsername = normaliseUsername(username);
    if (normalisedUsername !== '' && password.trim().toLowerCase() === normalisedUsername)
      return 'must not be the username';
  }

  // Lower-casing is for the comparison only; the password itself is hashed unchanged.
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower)) return 'is too common';
  const stem = lower.replace(TRAILING_DECORATION, '');
  if (stem !== lower && codePointLength(stem) >= MIN_PASSWORD_LENGTH && commonPasswords().has(stem))
    return 'is too common';

  return undefined;
}
