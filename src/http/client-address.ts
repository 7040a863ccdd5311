/**
 * The client's address: the socket's, or through `hops` trusted proxies' X-Forwarded-For, in one
 * spelling whatever the proxy wrote (a port, brackets, zero padding: src/http/ip-address.ts). An
 * entry that is no address is kept as written, for the logs; the login limits count all such in
 * one bucket (src/http/ip-bucket.ts).
 */
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import { canonicalIpAddress } from './ip-address';

export function clientAddress(hops: number): (req: IncomingMessage) => string {
  if (hops === 0) return (req) => req.socket.remoteAddress ?? '';
  return (req) => {
    const forwarded = proxyaddr(req, (_address, i) => i < hops);
    return canonicalIpAddress(forwarded) ?? forwarded;
  };
}
