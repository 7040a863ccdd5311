/**
 * The `system` tag: liveness, readiness, the document itself and its Redoc page.
 */
import { DEPENDENCY_RETRY_AFTER_SECONDS } from '../../core/errors';
import { escapeHtml } from '../../core/html-page';
import type { OpenApiDocument } from '../../pipeline/compile/document';
import { pingRedis } from '../../store/redis';
import type { HandlerDeps } from '../deps';
import type { Handler } from '../types';

/** How long a readiness probe waits for each dependency. */
const PROBE_TIMEOUT_MS = 1000;

/**
 * The Redoc page: the bundle is served by this service (no CDN) and reads /openapi.json, both
 * below the mount path when specgate is embedded (`base`; escaped: under a mount pattern such as
 * `/:tenant` express takes it from the request's own path). The empty data: icon keeps the browser
 * from asking for /favicon.ico (a 404).
 */
export function docsHtml(base: string): string {
  const at = escapeHtml(base);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>specgate API reference</title>
<link rel="icon" href="data:,">
</head>
<body>
<redoc spec-url="${at}/openapi.json"></redoc>
<script src="${at}/docs/redoc.standalone.js"></script>
</body>
</html>
`;
}

/**
 * The document as served: embedded under a mount path, its path-absolute server URLs (`/`) move
 * below it, so a client or generator that takes the base URL from `servers` (OpenAPI 3.1 §4.8.5)
 * calls the operations where they are.
 */
function servedDocument(document: OpenApiDocument, base: string): OpenApiDocument {
  if (!base || !Array.isArray(document.servers)) return document;
  const servers = (document.servers as { url?: unknown }[]).map((server) =>
    typeof server.url === 'string' && server.url.startsWith('/')
      ? { ...server, url: server.url === '/' ? base : base + server.url }
      : server,
  );
  return { ...document, servers };
}

async function probe(fn: () => Promise<unknown>): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS))),
    ]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

export function systemHandlers(deps: HandlerDeps) {
  const getHealth: Handler<'getHealth'> = async () => ({ status: 200, body: { status: 'ok' } });

  const getReadiness: Handler<'getReadiness'> = async () => {
    const [redis, database] = await Promise.all([probe(() => pingRedis(deps.redis)), probe(() => deps.db.ping())]);
    const checks = { redis, database };
    // Draining (SIGTERM): the load balancer must stop sending here while requests still succeed.
    if (deps.lifecycle.draining)
      return {
        status: 503,
        headers: { 'retry-after': String(DEPENDENCY_RETRY_AFTER_SECONDS) },
        body: { status: 'draining', checks },
      };
    if (redis === 'up' && database === 'up') return { status: 200, body: { status: 'ready', checks } };
    return {
      status: 503,
      headers: { 'retry-after': String(DEPENDENCY_RETRY_AFTER_SECONDS) },
      body: { status: 'unavailable', checks },
    };
  };

  const getOpenApiDocument: Handler<'getOpenApiDocument'> = async (req) => ({
    status: 200,
    body: servedDocument(deps.document, req.base) as {
      openapi: string;
      info: Record<string, never>;
      paths: Record<string, never>;
    },
    headers: { 'cache-control': 'public, max-age=300' },
  });

  const getApiDocs: Handler<'getApiDocs'> = async (req) => ({
    status: 200,
    body: docsHtml(req.base),
    headers: { 'cache-control': 'public, max-age=300' },
  });

  const getMetrics: Handler<'getMetrics'> = async () => ({
    status: 200,
    body: await deps.metrics.render(),
    contentType: deps.metrics.contentType,
    headers: { 'cache-control': 'no-store' },
  });

  return { getHealth, getReadiness, getOpenApiDocument, getApiDocs, getMetrics };
}
