/**
 * The README's "How a request flows" is the stage list of src/pipeline/pipeline.ts, line for line:
 * a stage added, removed or moved in the code without the README (or the other way) fails here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Principal } from '../../src/auth/principal';
import { HttpCache } from '../../src/cache/http-cache';
import { RedisCacheStore } from '../../src/cache/redis-cache-store';
import { createLogger } from '../../src/core/logger';
import { loadDocument } from '../../src/pipeline/compile/document';
import { compileOperations } from '../../src/pipeline/compile/operations';
import { createPipeline } from '../../src/pipeline/pipeline';

/** The first word of each stage line of the README's diagram, `cache(invoke)` read as `cache`. */
function readmeStages(): string[] {
  const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## How a request flows'));
  const diagram = section.slice(section.indexOf('one stage after another:'), section.indexOf('errors anywhere'));
  return [...diagram.matchAll(/^ {2}(\w+)(?:\(\w+\))? /gm)].map((m) => m[1]!);
}

it('lists in the README every stage the pipeline runs, in the order it runs them', () => {
  const principal: Principal = { userId: 'u', scopes: [], clientId: 'c', sessionId: 's', tokenId: 't', expiresAt: 0 };
  const document = loadDocument();
  const handlers = Object.fromEntries(
    compileOperations(document).map((op) => [op.operationId, () => ({ status: 200 })]),
  );
  // Every optional stage on: CORS, the cache, response checks. Building the pipeline sends nothing to Redis.
  const unconnected = new Redis({ lazyConnect: true });
  const pipeline = createPipeline({
    document,
    handlers,
    securitySchemes: { oauth2: { verify: () => principal }, metricsToken: { verify: () => principal } },
    logger: createLogger('silent'),
    bodyLimitBytes: 1024,
    validateResponses: true,
    trustProxy: 0,
    cache: new HttpCache({ store: new RedisCacheStore(unconnected, 100), logger: createLogger('silent') }),
    cors: { origins: ['https://app.example'] },
  });
  unconnected.disconnect();
  expect(readmeStages()).toEqual(pipeline.stages);
  expect(pipeline.stages).toEqual([
    'route',
    'cors',
    'negotiate',
    'readBody',
    'verifyCredentials',
    'prefetchCache',
    'checkCredentials',
    'authorize',
    'validate',
    'cache',
    'checkResponse',
    'write',
  ]);
});
