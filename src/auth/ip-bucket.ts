/**
 * The bucket a client address is counted under by the login limits: one bucket per IPv4 address
 * and one per IPv6 /64, so a host cannot escape a per-address counter by rotating through the
 * addresses it owns.
 */
import net from 'node:net';
import ipaddr from 'ipaddr.js';

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
  const groups = address.parts.map((part, i) => (i * 16 < IPV6_BUCKET_PREFIX_BITS ? part : 0));
  return `${formatIPv6(groups)}/${IPV6_BUCKET_PREFIX_BITS}`;
}

/**
 * RFC 5952 §4 text form of eight 16-bit groups: lower-case hex without leading zeros, the longest
 * run (first on a tie) of two or more zero groups replaced by `::`. One address, one spelling.
 */
function formatIPv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 1; // a single zero group is never compressed (RFC 5952 §4.2.2)
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (part: number[]) => part.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}
