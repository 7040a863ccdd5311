/**
 * The bucket a client address is counted under by the login limits: one bucket per IPv4 address
 * and one per IPv6 /64, so a host cannot escape a per-address counter by rotating through the
 * addresses it owns.
 */
import net from 'node:net';
import ipaddr from 'ipaddr.js';

// ipaddr.js 1.9 has `toRFC5952String()` but its type declarations leave it out.
declare module 'ipaddr.js' {
  interface IPv6 {
    toRFC5952String(): string;
  }
}

/** Prefix length of the IPv6 bucket: one /64 is what a single subscriber or host usually gets. */
const IPV6_BUCKET_PREFIX_BITS = 64;

/**
 * The bucket an IP address is counted under.
 *
 * - IPv4: the address as is (`203.0.113.7`).
 * - IPv4-mapped IPv6 (`::ffff:203.0.113.7`, how a dual-stack socket reports IPv4 clients): the IPv4,
 *   so one client is not counted under two names.
 * - Any other IPv6: its /64 prefix in RFC 5952 form plus `/64` (`2001:db8::/64`). A host usually
 *   owns a whole /64 and can pick any of its 2^64 addresses, so per-address counters would be
 *   trivially evaded. Zone ids (`%eth0`) are dropped.
 * - Anything unparseable: the string as is (it still gets a counter of its own).
 */
export function ipBucket(ip: string): string {
  if (net.isIPv4(ip)) return ip;
  if (!net.isIPv6(ip) || !ipaddr.IPv6.isValid(ip)) return ip;
  let address: ipaddr.IPv6;
  try {
    address = ipaddr.IPv6.parse(ip);
  } catch {
    return ip;
  }
  if (address.isIPv4MappedAddress()) return address.toIPv4Address().toString();
  const prefix = new ipaddr.IPv6(address.parts.map((part, i) => (i * 16 < IPV6_BUCKET_PREFIX_BITS ? part : 0)));
  // RFC 5952 §4: one address, one spelling (lower case, longest zero run as `::`). ipaddr.js
  // 1.9's `toString()` is not that form: it compresses the first zero run, even a single group.
  return `${prefix.toRFC5952String()}/${IPV6_BUCKET_PREFIX_BITS}`;
}
