/**
 * The send timeout: a connection whose response makes no write progress for SEND_TIMEOUT_SECONDS
 * is closed. node:http's own timeouts end once the request has been read (headersTimeout,
 * requestTimeout) or start once the response is done (keepAliveTimeout), so a client that sends
 * requests and never reads the answers would otherwise hold its socket, the responses in its
 * buffers and a connection slot for as long as it likes.
 */
import type net from 'node:net';
import type { Logger } from '../core/logger';

/** Where a socket's writes stood when they were first seen not moving. */
interface Stall {
  /** Bytes whose writes had completed (handed to the kernel). */
  done: number;
  since: number;
}

/**
 * How often the sockets are looked at: a tenth of the timeout, within 50 ms..1 s (as node checks
 * its own header and request timeouts on an interval, not with a timer per socket).
 */
export function sendCheckIntervalMs(timeoutMs: number): number {
  return Math.max(50, Math.min(1000, Math.floor(timeoutMs / 10)));
}

/**
 * Closes, and logs at info, the connections of `server` whose pending writes complete nothing for
 * `timeoutMs`. `event` is the server event that hands over the socket HTTP is spoken on
 * ('secureConnection' for HTTPS, whose 'connection' socket carries the encrypted bytes).
 *
 * Nothing is done per request: one interval per server walks the live sockets and compares two
 * counters a socket keeps anyway. Progress is counted per completed write (the kernel took the
 * whole chunk), so a client must take one response write (the largest is the 1.1 MB API reference
 * bundle) per timeout; the kernel's socket buffers, megabytes on a fast link, absorb most of that.
 */
export function watchSendProgress(
  server: net.Server,
  event: 'connection' | 'secureConnection',
  timeoutMs: number,
  logger: Logger,
): void {
  // Every live socket, with its stall when its writes were last seen not moving.
  const sockets = new Map<net.Socket, Stall | undefined>();
  server.on(event, (socket: net.Socket) => {
    sockets.set(socket, undefined);
    socket.once('close', () => sockets.delete(socket));
  });

  const sweep = () => {
    const now = Date.now();
    for (const [socket, stall] of sockets) {
      // writableLength: bytes the socket holds that the kernel has not taken (the write under way
      // included); bytesWritten: every byte given to the socket. Their difference grows only
      // when a write completes.
      const pending = socket.writableLength;
      if (pending === 0) {
        if (stall) sockets.set(socket, undefined);
        continue;
      }
      const done = socket.bytesWritten - pending;
      if (stall?.done !== done) {
        sockets.set(socket, { done, since: now });
      } else if (now - stall.since >= timeoutMs) {
        sockets.delete(socket);
        logger.info(
          {
            outcome: 'send_timeout',
            remoteAddress: socket.remoteAddress,
            pendingBytes: pending,
            sendTimeoutSeconds: timeoutMs / 1000,
          },
          'connection closed: its client read nothing of the response within SEND_TIMEOUT_SECONDS',
        );
        socket.destroy();
      }
    }
  };

  let timer: NodeJS.Timeout | undefined;
  server.on('listening', () => {
    timer ??= setInterval(sweep, sendCheckIntervalMs(timeoutMs)).unref();
  });
  server.on('close', () => {
    clearInterval(timer);
    timer = undefined;
  });
}
