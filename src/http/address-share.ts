/**
 * Each client address's share of the connection slots: MAX_CONNECTIONS is one pool every client
 * draws from, so without a share one client that opens sockets and holds them (or reconnects as
 * they are cut) leaves nobody else a slot.
 */
import { ipBucket } from './ip-bucket';

/**
 * Counts live sockets per client address, an IPv6 client by its /64 (the login limits' buckets,
 * for the same reason: a host picks freely among its /64's addresses).
 */
export class AddressShare {
  /** Live sockets per bucket; a bucket leaves at 0, so the map is bounded by the live sockets. */
  private readonly live = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /**
   * Counts one socket from `address` and returns the function that releases it (call it once, when
   * the socket closes), or returns undefined, counting nothing, when the address already holds
   * `limit` sockets.
   */
  admit(address: string): (() => void) | undefined {
    const bucket = ipBucket(address);
    const held = this.live.get(bucket) ?? 0;
    if (held >= this.limit) return undefined;
    this.live.set(bucket, held + 1);
    return () => this.release(bucket);
  }

  /** Sockets `address`'s bucket holds now. */
  held(address: string): number {
    return this.live.get(ipBucket(address)) ?? 0;
  }

  /** Buckets with live sockets. */
  get size(): number {
    return this.live.size;
  }

  private release(bucket: string): void {
    const held = (this.live.get(bucket) ?? 1) - 1;
    if (held > 0) this.live.set(bucket, held);
    else this.live.delete(bucket);
  }
}
