/**
 * The bucket a client address is counted under by the login limits and by the connection share
 * (./address-share.ts): one bucket per IPv4 address and one per IPv6 /64, so a host cannot escape
 * a per-address counter by rotating through the addresses it owns, nor by how its address is
 * spelled (./ip-address.ts).
 */
import ipaddr from 'ipaddr.js';
import { parseIpAddress } from './ip-address';

/** Prefix length of the IPv6 bucket: one /64 is what a single subscriber or host usually gets. */
const IPV6_BUCKET_PREFIX_BITS = 64;

/**
 * Where every address that is no IP address is counted. A bucket of their own each would let a
 * client (or a proxy that writes something odd) get a fresh counter per spelling; sharing one
 * means they can lock each other out, which is the side to err on.
 */
export const UNPARSEABLE_BUCKET = 'unparseable';

/**
 * The bucket an IP address is counted under.
 *
 * - IPv4: the address in dotted decimal (`203.0.113.7`), port and zero padding dropped.
 * - IPv4-mapped IPv6 (`::ffff:203.0.113.7`, how a dual-stack socket reports IPv4 clients): the IPv4,
 *   so one client is not counted under two names.
 * - Any other IPv6: its /64 prefix in RFC 5952 form plus `/64` (`2001:db8::/64`). A host usually
 *   owns a whole /64 and can pick any of its 2^64 addresses, so per-address counters would be
 *   trivially evaded. Brackets, port and zone id (`%eth0`) are dropped.
 * - Anything unparseable: {@link UNPARSEABLE_BUCKET}, one for all.
 */
export function ipBucket(ip: string): string {
  const address = parseIpAddress(ip);
  if (!address) return UNPARSEABLE_BUCKET;
  if (address.kind() === 'ipv4') return address.toString();
  const v6 = address as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  const prefix = new ipaddr.IPv6(v6.parts.map((part, i) => (i * 16 < IPV6_BUCKET_PREFIX_BITS ? part : 0)));
  // RFC 5952 §4: one address, one spelling (lower case, longest zero run as `::`). ipaddr.js
  // 1.9's `toString()` is not that form: it compresses the first zero run, even a single group.
  return `${prefix.toRFC5952String()}/${IPV6_BUCKET_PREFIX_BITS}`;
}
