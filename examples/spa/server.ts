/**
 * The example single-page app's own little server: bundles app.ts with esbuild (into the gitignored
 * examples/spa/dist/) and serves index.html, the bundle, the stylesheet and /config.json from its
 * own origin, which is not specgate's, as a real app's would be. Used by `npm run example:spa`
 * (./serve.ts) and by the end-to-end test.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';

const HERE = __dirname;
const DIST = path.join(HERE, 'dist');

/** Options of {@link startSpaServer}. */
export interface SpaServerOptions {
  /** specgate's base URL (the app's API, and the only origin it may connect to besides its own). */
  apiUrl: string;
  /** The public client registered for the app. */
  clientId: string;
  /** Scopes the app asks for (default: the service's default). */
  scope?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

/** A running example app. */
export interface SpaServer {
  /** The app's origin, e.g. `http://127.0.0.1:5173`; its redirect URI is this plus `/`. */
  origin: string;
  close(): Promise<void>;
}

/** Bundles app.ts and what it imports (the typed client, openapi-fetch, jose) into dist/app.js for browsers. */
export async function buildSpa(): Promise<string> {
  const outfile = path.join(DIST, 'app.js');
  await build({
    entryPoints: [path.join(HERE, 'app.ts')],
    tsconfig: path.join(HERE, 'tsconfig.json'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

/** Builds the app and serves it until closed. */
export async function startSpaServer(options: SpaServerOptions): Promise<SpaServer> {
  const bundle = await buildSpa();
  const config = JSON.stringify({
    apiUrl: options.apiUrl,
    clientId: options.clientId,
    ...(options.scope ? { scope: options.scope } : {}),
  });
  const files: Record<string, { file: string; type: string }> = {
    '/': { file: path.join(HERE, 'index.html'), type: 'text/html; charset=utf-8' },
    '/app.js': { file: bundle, type: 'text/javascript; charset=utf-8' },
    '/style.css': { file: path.join(HERE, 'style.css'), type: 'text/css; charset=utf-8' },
  };
  const headers = {
    // Scripts and styles from this origin only; fetches to it and to specgate only.
    'Content-Security-Policy': `default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' ${new URL(options.apiUrl).origin}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    // The callback URL carries a code until the app removes it: never send it on as a Referer.
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  };

  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://app');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end();
      return;
    }
    if (pathname === '/config.json') {
      res.writeHead(200, { ...headers, 'Content-Type': 'application/json' }).end(config);
      return;
    }
    // index.html is also the redirect URI, where the callback arrives with ?code=…&state=….
    const asset = files[pathname === '/index.html' ? '/' : pathname];
    if (!asset) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': asset.type }).end(fs.readFileSync(asset.file));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    origin: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
