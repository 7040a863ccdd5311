/**
 * One socket write per event-loop turn for each Redis connection, whatever number of commands the
 * turn issued: the session check and the cache lookup of a request, and those of every other request
 * parsed in the same turn, leave in one `writev`.
 *
 * ioredis's auto-pipelining does the same batching, but through a Pipeline object per batch that
 * holds every Command, its arguments and its reply until the batch's last reply, and sends the next
 * batch only then. Under load that kept about 4 KB of every request alive across two scavenges
 * (promoted to the old generation, then collected by mark-compacts): scavenges of 10-30 ms where the
 * floor's take 1. Corking the socket instead costs one Immediate per turn and connection and
 * leaves each Command to die young.
 */
import type { Duplex } from 'node:stream';

/** What ioredis exposes of a connection: its events and, once connected, its socket. */
interface Connection {
  on(event: 'connect', listener: () => void): unknown;
  stream?: Duplex;
}

const coalesced = new WeakSet<Duplex>();

/**
 * Corks the connection's socket at the first write of a turn and uncorks it in that turn's check
 * phase (setImmediate: after every I/O callback of the turn has issued its commands), on every
 * (re)connection. A write that finds the socket corked joins the batch; nothing else changes: order,
 * back-pressure and errors are the socket's own.
 */
export function coalesceWrites(connection: Connection): void {
  connection.on('connect', () => {
    const stream = connection.stream;
    if (!stream || coalesced.has(stream)) return;
    coalesced.add(stream);
    const write = stream.write;
    let corked = false;
    const flush = () => {
      corked = false;
      stream.uncork();
    };
    stream.write = function (this: Duplex, ...args: Parameters<Duplex['write']>) {
      if (!corked) {
        corked = true;
        stream.cork();
        setImmediate(flush);
      }
      return write.apply(this, args);
    } as Duplex['write'];
  });
}
