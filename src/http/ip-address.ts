/**
 * Reading a client address as a proxy wrote it in X-Forwarded-For. Proxies differ: some append
 * the client's port (`203.0.113.9:51000`, `[2001:db8::1]:443`, as RFC 7239 §6 lets a `for=`
 * node carry one), some bracket IPv6, some zero-pad. One client must get one name whatever the
 * spelling, or every connection through a port-appending proxy would count as a new client.
 */
import net from 'node:net';
import ipaddr from 'ipaddr.js';

// ipaddr.js 1.9 has `toRFC5952String()` but its type declarations leave it out.
declare module 'ipaddr.js' {
  interface IPv6 {
    toRFC5952String(): string;
  }
}

// `[v6]`, `[v6]:port`, `v4:port`: the port (and brackets) go; a bare IPv6 has colons of its own.
const BRACKETED = /^\[([^\]]+)\](?::\d{1,5})?$/;
const IPV4_WITH_PORT = /^([\d.]+):\d{1,5}$/;
// Four dotted decimal parts. A proxy writes a socket address as inet_ntop does (no leading
// zeros); a zero-padded part comes from fixed-width formatting, so it is read as decimal
// (`0203` is 203). inet_aton's octal, hex and fewer-part forms (RFC 6943 §3.1.1) are left
// unparsed: no proxy writes them, so they count in the shared bucket of unparseable addresses.
const IPV4_PADDED = /^(\d{1,4})\.(\d{1,4})\.(\d{1,4})\.(\d{1,4})$/;

/**
 * The address in `text` (an X-Forwarded-For entry or a socket's address), without port, brackets
 * or IPv6 zone id; undefined when it is no IP address.
 */
export function parseIpAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  let host = text.trim();
  host = BRACKETED.exec(host)?.[1] ?? IPV4_WITH_PORT.exec(host)?.[1] ?? host;
  const v4 = IPV4_PADDED.exec(host);
  if (v4) {
    const octets = v4.slice(1).map(Number);
    return octets.every((o) => o <= 255) ? new ipaddr.IPv4(octets) : undefined;
  }
  const unzoned = host.replace(/%[^%]*$/, '');
  if (!net.isIPv6(unzoned) || !ipaddr.IPv6.isValid(unzoned)) return undefined;
  return ipaddr.IPv6.parse(unzoned);
}

/** `text` as one canonical spelling (IPv4 dotted decimal, IPv4-mapped IPv6 as IPv4, IPv6 per RFC 5952), or undefined. */
export function canonicalIpAddress(text: string): string | undefined {
  const address = parseIpAddress(text);
  if (!address) return undefined;
  if (address.kind() === 'ipv4') return address.toString();
  const v6 = address as ipaddr.IPv6;
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address().toString() : v6.toRFC5952String();
}
