/**
 * UUIDs inside a signing secret. A UUID spells 128 bits in 36 characters, but RFC 9562 fixes some
 * of them and leaves others to clocks and names, so its spelling overstates its randomness:
 * - v4 (§5.4): 122 random bits; the version (4 bits) and variant (2 bits) are fixed.
 * - v7 (§5.7): 74 random bits; the first 48 are a Unix timestamp in milliseconds, which an
 *   attacker who knows roughly when the key was made can guess.
 * - every other version is a timestamp and a node id (v1, v6), a hash of a name (v3, v5), or
 *   vendor-defined with no promise of randomness (v8, §5.8: uniqueness "MUST NOT be assumed"):
 *   none is counted as random.
 *
 * Two v4 UUIDs are 244 bits, not the 256 RFC 7518 §3.2 asks for; three are 366.
 *
 * Only the canonical hyphenated form (§4) is recognised: with its hyphens dropped a v4 UUID is 32
 * hex digits with two fixed nibbles, which one random hex value in 64 also has at any given place,
 * so telling the two apart would refuse honest `openssl rand -hex` output.
 */

/** The hyphenated form; the version is the first digit of the third group, the variant of the fourth. */
export const UUID_PATTERN = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** The random bits that one UUID (matched by {@link UUID_PATTERN}) carries, by its version. */
export function uuidRandomBits(uuid: string): number {
  // RFC 9562 §4.1: the variant's top bits 10 (hex 8-b) mark the layouts §5 describes.
  if (!/^[89ab]$/i.test(uuid.charAt(19))) return 0;
  const version = uuid.charAt(14);
  if (version === '4') return 122;
  if (version === '7') return 74;
  return 0;
}
