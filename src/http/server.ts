/**
 * The HTTP(S) server with the connection limits of the config applied: nothing a client opens is
 * held for free. main.ts and the test harness both create their server here, so tests measure the
 * settings production runs with.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { Config, ServerSettings } from '../core/config';
import type { Logger } from '../core/logger';
import { AddressShare } from './address-share';
import { watchSendProgress } from './send-timeout';

/**
 * Node checks the headers and request timeouts of open connections on an interval, not per socket;
 * the timeouts it is given are shortened by that interval so a connection is cut at the latest
 * when the configured time is up.
 */
function checkingIntervalMs(settings: ServerSettings): number {
  return Math.max(50, Math.min(1000, Math.floor(settings.headersTimeoutMs / 10)));
}

/** The node:http options for `settings` (see {@link createServer}). */
export function serverOptions(
  settings: ServerSettings,
): http.ServerOptions & Pick<https.ServerOptions, 'handshakeTimeout'> {
  const interval = checkingIntervalMs(settings);
  return {
    // RFC 9112 §9.3: the server advertises `Keep-Alive: timeout=N` and closes an idle persistent
    // connection after N seconds (node adds keepAliveTimeoutBuffer, 1 s, so clients that honour
    // the header close first and never send on a socket being closed).
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    // Counted from when the connection opens (or its TLS handshake ends) on node ≥ 18, so a socket
    // that never sends a byte is cut too, not only one whose request head trickles in.
    headersTimeout: settings.headersTimeoutMs - interval,
    // The whole request, body included (a slow body is cut); ends once the request is read, so a
    // slow handler is not cut.
    requestTimeout: settings.requestTimeoutMs - interval,
    connectionsCheckingInterval: interval,
    // A TLS client that never finishes its handshake (tls default: 120 s).
    handshakeTimeout: settings.headersTimeoutMs,
  };
}

/**
 * Creates the server (HTTPS when `config.tls` is set) with `listener`, its timeouts,
 * MAX_CONNECTIONS, each address's share of it and the send timeout applied. It does not listen.
 * `logger` receives the connections cut by the send timeout.
 */
export function createServer(
  config: Config,
  listener: http.RequestListener,
  logger: Logger,
): http.Server | https.Server {
  const options = serverOptions(config.server);
  const server = config.tls
    ? https.createServer(
        { ...options, cert: fs.readFileSync(config.tls.certFile), key: fs.readFileSync(config.tls.keyFile) },
        listener,
      )
    : http.createServer(options, listener);
  // Further sockets are closed as they are accepted (node: server.maxConnections).
  server.maxConnections = config.server.maxConnections;
  const { maxConnections, maxConnectionsPerAddress } = config.server;
  if (maxConnectionsPerAddress < maxConnections) {
    const share = new AddressShare(maxConnectionsPerAddress);
    // The TCP socket, before node:http or TLS spend anything on it (prepended: node's own
    // listener, which sets up the parser or the handshake, comes later). Closed without an
    // answer, as MAX_CONNECTIONS does: a 503 would cost a TLS handshake per refused socket.
    server.prependListener('connection', (socket: net.Socket) => {
      // A socket already reset by its peer has no address: counted under '', it closes at once.
      const release = share.admit(socket.remoteAddress ?? '');
      if (release) socket.once('close', release);
      else socket.destroy();
    });
  }
  watchSendProgress(server, config.tls ? 'secureConnection' : 'connection', config.server.sendTimeoutMs, logger);
  return server;
}
