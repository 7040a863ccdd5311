/**
 * bench:http's peer: the service's cached read, GET /v1/items/{itemId}, on a common Node stack:
 * fastify 5 with fastify-openapi-glue (routes, parameter validation and security requirements from
 * the same openapi/openapi.yaml), fast-jwt and ioredis. It does what the service does on a HIT:
 *  - verifies the bearer token like TokenService (HS256, typ at+jwt, issuer, audience, required
 *    claims; verified tokens memoised, fast-jwt's cache) with the same config (JWT_SECRET, issuer,
 *    audience);
 *  - checks the claimed scopes, then asks Redis whether the session and the token are live, as
 *    SessionStore.liveScopes does (one HMGET of the session's owner, scope and access-token slots,
 *    read by src/auth/session-access.ts);
 *  - in the same tick, so in the same round trip, reads the entry the
 *    service stored (src/cache/http-cache.ts: key cache:getItem:<digest>, value "JSON meta\nbody")
 *    and the generation of its tag item:<itemId>, and answers the stored body and ETag if the
 *    generations match.
 * No database: an absent or stale entry is 501, and so is every other operation. Only a bench peer.
 * IPC, X-Cache counts and GC time as every bench server: ../child.ts.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { createVerifier } from 'fast-jwt';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import openapiGlue from 'fastify-openapi-glue';
import { Redis } from 'ioredis';
import { ACCESS_FIELDS, accessLive, legacyAccessField } from '../../src/auth/session-access';
import { loadConfigWeighingSecretInThread } from '../../src/core/config';
import { keys } from '../../src/store/redis-keys';
import { exitOnError, serveChild, timed } from '../child';
import { benchConfigEnv } from '../service-env';

const env = process.env;
// As main.ts and the service's bench server load it: zxcvbn stays out of this process's heap.
const {
  config: { jwt },
  secretWeighed,
} = loadConfigWeighingSecretInThread({
  ...benchConfigEnv(env),
  ...(JSON.parse(env.BENCH_CONFIG ?? '{}') as Record<string, string>),
});
const verify = createVerifier({
  key: Buffer.from(jwt.secret!),
  algorithms: ['HS256'],
  checkTyp: 'at+jwt',
  allowedIss: jwt.issuer,
  allowedAud: jwt.audience,
  requiredClaims: ['exp', 'iat', 'jti', 'sub', 'sid'],
  clockTolerance: 5_000,
  cache: 10_000,
});
const GET_ITEM_ROUTE = '/v1/items/:itemId';

interface Claims {
  sub: string;
  sid: string;
  jti: string;
  scope: string;
}
interface Entry {
  headers: Record<string, string>;
  contentType: string;
  body: string;
}
type PeerRequest = FastifyRequest & { entry?: Promise<Entry | undefined> };

const failure = (statusCode: number, message: string) => Object.assign(new Error(message), { statusCode });

/** The service's entry for getItem(itemId) and its tag's generation, read together; undefined unless fresh. */
async function lookup(redis: Redis, itemId: string): Promise<Entry | undefined> {
  // HttpCache.prepare's key: [operationId, sorted path params, sorted query] (getItem has no query).
  const material = JSON.stringify(['getItem', [['itemId', itemId]], []]);
  const digest = createHash('sha256').update(material).digest('base64url').slice(0, 32);
  const [raw, gen] = await Promise.all([
    redis.get(keys.cacheEntry('getItem', digest)),
    redis.get(keys.cacheGeneration(`item:${itemId}`)),
  ]);
  if (!raw) return undefined;
  const nl = raw.indexOf('\n');
  const meta = JSON.parse(raw.slice(0, nl)) as { g: string[]; headers: Record<string, string>; contentType: string };
  if (meta.g.length !== 1 || meta.g[0] !== (gen ?? '0')) return undefined;
  return { headers: meta.headers, contentType: meta.contentType, body: raw.slice(nl + 1) };
}

/** The `oauth2` security handler: token, claimed scopes, then session and (for getItem) the entry in one round trip. */
function oauth2(redis: Redis) {
  return async (req: PeerRequest, _reply: FastifyReply, required: string[]): Promise<void> => {
    const m = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(req.headers.authorization ?? '');
    let claims: Claims;
    try {
      claims = verify(m?.[1] ?? '') as Claims;
    } catch {
      throw failure(401, 'invalid token');
    }
    const claimed = claims.scope.split(' ');
    if (!required.every((s) => claimed.includes(s))) throw failure(403, 'insufficient scope');
    if (req.method === 'GET' && req.routeOptions.url === GET_ITEM_ROUTE) {
      req.entry = lookup(redis, (req.params as { itemId: string }).itemId);
      req.entry.catch(() => undefined); // awaited by the handler
    }
    const [sub, scope, ...access] = await redis.hmget(
      keys.session(claims.sid),
      'sub',
      'scope',
      ...ACCESS_FIELDS,
      legacyAccessField(claims.jti),
    );
    if (sub !== claims.sub || !accessLive(access, claims.jti, Date.now() / 1000)) throw failure(401, 'revoked');
    const live = (scope ?? '').split(' ');
    if (!required.every((s) => live.includes(s))) throw failure(403, 'insufficient scope');
  };
}

/** getItem: the stored body and headers, as the service's HIT answers them. */
async function getItem(req: PeerRequest, reply: FastifyReply): Promise<FastifyReply> {
  const entry = await req.entry;
  if (!entry) return reply.code(501).send({ detail: 'the peer answers from cached entries only' });
  return reply
    .code(200)
    .headers({ ...entry.headers, 'cache-control': 'private, no-cache', vary: 'Authorization', 'x-cache': 'HIT' })
    .type(entry.contentType)
    .send(entry.body);
}

const notImplemented = async (_req: FastifyRequest, reply: FastifyReply) =>
  reply.code(501).send({ detail: 'not in the bench peer' });

async function main(): Promise<void> {
  const phases: Record<string, number> = { modules: performance.now() };
  await secretWeighed;
  const redis = await timed(phases, 'redis', async () => {
    const url = new URL(env.BENCH_REDIS_URL!);
    const client = new Redis({
      host: url.hostname,
      port: Number(url.port),
      password: env.BENCH_REDIS_AUTH,
      lazyConnect: true,
      // ioredis's defaults otherwise, as a fastify application would have them (no auto-pipelining:
      // the two commands are issued in one tick and travel together, in two writes).
      maxRetriesPerRequest: 0,
    });
    await client.connect();
    return client;
  });
  let listener: http.RequestListener | undefined;
  const app = Fastify({
    logger: false,
    ajv: { customOptions: { strict: false } }, // the document's `example` keywords
    // child.ts owns the node:http server (it counts X-Cache): take fastify's request handler.
    serverFactory: (handler) => {
      listener = handler;
      return http.createServer(handler);
    },
  });
  await timed(phases, 'fastify', async () => {
    await app.register(openapiGlue, {
      specification: path.join(__dirname, '../../openapi/openapi.yaml'),
      operationResolver: (operationId: string) => (operationId === 'getItem' ? getItem : notImplemented),
      securityHandlers: { oauth2: oauth2(redis) },
    });
    await app.ready();
  });
  const close = async () => {
    await app.close();
    redis.disconnect();
  };
  await serveChild({ listener: listener!, close, phases });
}

main().catch(exitOnError('bench peer'));
