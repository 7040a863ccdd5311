/**
 * The node:http options the server runs with, from the default settings: what the socket tests in
 * test/server/connections.test.ts prove with small timeouts holds for the defaults too.
 */
import { loadConfig } from '../../src/core/config';
import { serverOptions } from '../../src/http/server';

describe('serverOptions', () => {
  it('cuts a connection without a whole request head, or a TLS handshake, at HEADERS_TIMEOUT_SECONDS (10 s) at the latest', () => {
    const options = serverOptions(loadConfig({}).server);
    // node looks at open connections every connectionsCheckingInterval, so the cut comes at most that much later.
    expect(options.headersTimeout! + options.connectionsCheckingInterval!).toBeLessThanOrEqual(10_000);
    expect(options.headersTimeout).toBeGreaterThanOrEqual(9_000);
    expect(options.handshakeTimeout).toBe(10_000);
    expect(options.requestTimeout! + options.connectionsCheckingInterval!).toBeLessThanOrEqual(30_000);
  });
});
