/**
 * bench:http's ideal subject: the service's cached read, GET /v1/items/{itemId}, as well as a
 * hand-written node:http server does it. The bar `cached ÷ ideal` is measured against. Per request:
 *  - the bearer token verified by hand (./hs256.ts: HMAC with node:crypto, every claim the service
 *    checks; no memo of verified tokens, the service may have one);
 *  - in ONE Redis round trip: the session's liveness (the HMGET of SessionStore.live, read by
 *    src/auth/session-access.ts) and the entry the service stored with its tag's generation (the
 *    MGET of RedisCacheStore.lookup; key shapes from src/store/redis-keys.ts), issued in one tick on
 *    the service's client settings (connectRedis: the commands of one event-loop turn, this request's
 *    and those of every request read in the same turn, leave in one socket write). An explicit
 *    `pipeline()` per request cost 11 % and 16 % more server CPU per request in two paired runs.
 *  - the scopes (claimed, and the session's), then the stored body with the service's HIT headers,
 *    built once per entry (the entry's metadata compared byte for byte); If-None-Match → 304.
 * Like the peer it answers from the cached service's entry only (absent or stale: 501). Only a
 * bench subject. IPC, status and X-Cache counts and GC: ../child.ts.
 */
import { hash, randomUUID } from 'node:crypto';
import type http from 'node:http';
import { ACCESS_FIELDS, accessLive, legacyAccessField } from '../../src/auth/session-access';
import { CLOCK_TOLERANCE_SECONDS } from '../../src/auth/tokens';
import { loadConfigWeighingSecretInThread } from '../../src/core/config';
import { createLogger } from '../../src/core/logger';
import { connectRedis } from '../../src/store/redis';
import { keys } from '../../src/store/redis-keys';
import { exitOnError, serveChild, timed } from '../child';
import { benchConfigEnv } from '../service-env';
import { hs256Verifier } from './hs256';

const env = process.env;
// As main.ts and the service's bench server load it: zxcvbn stays out of this process's heap.
const { config, secretWeighed } = loadConfigWeighingSecretInThread(benchConfigEnv(env));
const verify = hs256Verifier({
  secret: config.jwt.secret!,
  issuer: config.jwt.issuer,
  audience: config.jwt.audience,
  toleranceSeconds: CLOCK_TOLERANCE_SECONDS,
});

const PREFIX = '/v1/items/';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i;
const SCOPE = 'items:read';
/** The headers the service sends with every cached answer (security headers, cache validators' terms). */
const FIXED = [
  'cache-control',
  'private, no-cache',
  'vary',
  'Authorization',
  'x-cache',
  'HIT',
  'content-security-policy',
  "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options',
  'nosniff',
  'x-frame-options',
  'DENY',
];

/** An entry's answers, built once: the header lists of 200 and 304 with a slot for x-request-id. */
interface Prepared {
  meta: Buffer;
  bodyBytes: number;
  gen: string;
  etag: string;
  ok: string[];
  notModified: string[];
}
let prepared: Prepared | undefined;

/** The answers for an entry (the previous ones when its metadata and size have not changed). */
function prepare(meta: Buffer, bodyBytes: number): Prepared {
  if (prepared?.bodyBytes === bodyBytes && prepared.meta.equals(meta)) return prepared;
  const m = JSON.parse(meta.toString('utf8')) as { g: string[]; headers: Record<string, string>; contentType: string };
  const etag = m.headers.etag ?? '';
  const base = [...FIXED, 'etag', etag, 'x-request-id', ''];
  prepared = {
    meta: Buffer.from(meta),
    bodyBytes,
    gen: m.g.length === 1 ? m.g[0]! : '',
    etag,
    ok: [...base, 'content-type', m.contentType, 'content-length', String(bodyBytes)],
    notModified: base,
  };
  return prepared;
}

/** Whether If-None-Match names `etag` (weak comparison, RFC 9110 §13.1.2). */
function matches(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((t) => {
    const v = t.trim();
    return v === etag || v === `W/${etag}`;
  });
}

const fail = (res: http.ServerResponse, status: number, extra: string[] = []) =>
  res.writeHead(status, ['content-length', '0', ...extra]).end();
const challenge = (error: string) => ['www-authenticate', `Bearer error="${error}"`];

async function main(): Promise<void> {
  const phases: Record<string, number> = { modules: performance.now() };
  await secretWeighed;
  const logger = createLogger('silent');
  const redis = await timed(phases, 'redis', () => connectRedis(config.redis, logger));

  const listener: http.RequestListener = (req, res) => {
    const url = req.url ?? '';
    const itemId = url.startsWith(PREFIX) ? url.slice(PREFIX.length) : '';
    if (!UUID.test(itemId)) return fail(res, 404);
    if (req.method !== 'GET') return fail(res, 405, ['allow', 'GET']);
    const token = BEARER.exec(req.headers.authorization ?? '')?.[1];
    const now = Math.floor(Date.now() / 1000);
    const claims = token === undefined ? undefined : verify(token, now);
    if (!claims) return fail(res, 401, challenge('invalid_token'));
    if (!claims.scope.split(' ').includes(SCOPE)) return fail(res, 403, challenge('insufficient_scope'));
    // HttpCache.prepare's key: [operationId, sorted path params, sorted query] (getItem has no query).
    const digest = hash('sha256', JSON.stringify(['getItem', [['itemId', itemId]], []]), 'base64url').slice(0, 32);
    const fields = ['sub', 'scope', ...ACCESS_FIELDS, legacyAccessField(claims.jti)];
    Promise.all([
      redis.hmget(keys.session(claims.sid), ...fields),
      redis.mgetBuffer(keys.cacheEntry('getItem', digest), keys.cacheGeneration(`item:${itemId}`)),
    ]).then(
      ([[sub, scope, ...access], [raw, gen]]) => {
        if (sub !== claims.sub || !accessLive(access, claims.jti, now))
          return fail(res, 401, challenge('invalid_token'));
        if (!(scope ?? '').split(' ').includes(SCOPE)) return fail(res, 403, challenge('insufficient_scope'));
        const nl = raw ? raw.indexOf(10) : -1;
        const entry = raw && nl > 0 ? prepare(raw.subarray(0, nl), raw.length - nl - 1) : undefined;
        if (!raw || !entry || entry.gen !== (gen?.toString('latin1') ?? '0')) return fail(res, 501);
        const inm = req.headers['if-none-match'];
        // Each list's x-request-id slot, filled just before writeHead copies the list.
        if (inm !== undefined && matches(inm, entry.etag)) {
          entry.notModified[FIXED.length + 3] = randomUUID();
          return res.writeHead(304, entry.notModified).end();
        }
        entry.ok[FIXED.length + 3] = randomUUID();
        res.writeHead(200, entry.ok).end(raw.subarray(nl + 1));
      },
      () => fail(res, 503),
    );
  };
  const close = async () => redis.disconnect();
  await serveChild({ listener, close, phases });
}

main().catch(exitOnError('bench ideal server'));
