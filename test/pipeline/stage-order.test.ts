/**
 * The README's "How a request flows" is the stage list of src/pipeline/pipeline.ts, line for line:
 * a stage added, removed or moved in the code without the README (or the other way) fails here.
 * Each operation runs the part of that list it needs, chosen once at start-up: checked here too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Principal } from '../../src/auth/principal';
import { HttpCache } from '../../src/cache/http-cache';
import { RedisCacheStore } from '../../src/cache/redis-cache-store';
import { createLogger } from '../../src/core/logger';
import { loadDocument } from '../../src/pipeline/compile/document';
import type { OperationRoute } from '../../src/pipeline/compile/operation-route';
import { compileOperations } from '../../src/pipeline/compile/operations';
import { createPipeline } from '../../src/pipeline/pipeline';

/** The first word of each stage line of the README's diagram; `cache(invoke)` is read as both. */
function readmeStages(): string[] {
  const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## How a request flows'));
  const diagram = section.slice(section.indexOf('one stage after another'), section.indexOf('errors anywhere'));
  return [...diagram.matchAll(/^ {2}(\w+)(?:\((\w+)\))? /gm)].flatMap((m) => m.slice(1).filter((name) => name));
}

/** The product's document with every optional stage on: CORS, the cache, response checks. */
function fullPipeline() {
  const principal: Principal = {
    kind: 'user',
    userId: 'u',
    scopes: [],
    clientId: 'c',
    sessionId: 's',
    tokenId: 't',
    expiresAt: 0,
  };
  const document = loadDocument();
  const handlers = Object.fromEntries(
    compileOperations(document).map((op) => [op.operationId, () => ({ status: 200 })]),
  );
  // Building the pipeline sends nothing to Redis.
  const unconnected = new Redis({ lazyConnect: true });
  const pipeline = createPipeline({
    document,
    handlers,
    securitySchemes: {
      oauth2: { verify: () => principal },
      dpop: { verify: () => principal },
      metricsToken: { verify: () => principal },
    },
    logger: createLogger('silent'),
    bodyLimitBytes: 1024,
    validateResponses: true,
    trustProxy: 0,
    cache: new HttpCache({ store: new RedisCacheStore(unconnected, 100), logger: createLogger('silent') }),
    cors: { origins: ['https://app.example'] },
  });
  unconnected.disconnect();
  return pipeline;
}

const pipeline = fullPipeline();

/** The stages an operation runs between route (and cors) and checkResponse, by name. */
function ownStages(route: OperationRoute): string[] {
  return [...route.stages.checks.map((stage) => stage.name), 'validate', route.stages.answer.name];
}

const routeOf = (operationId: string) => {
  const route = pipeline.routes.find((r) => r.op.operationId === operationId);
  if (!route) throw new Error(`no operation ${operationId}`);
  return route;
};

it('lists in the README every stage the pipeline runs, in the order it runs them', () => {
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
    'invoke',
    'checkResponse',
    'write',
  ]);
});

it("runs each operation's stages in the README's order, each one a stage the README lists", () => {
  for (const route of pipeline.routes) {
    const own = ownStages(route);
    // The README's list, keeping this operation's stages only, is this operation's list.
    const listed = pipeline.stages.filter((name) => own.includes(name));
    expect({ operationId: route.op.operationId, stages: listed }).toEqual({
      operationId: route.op.operationId,
      stages: own,
    });
  }
  // Every stage the README lists runs for some operation, or around them all.
  const used = new Set(pipeline.routes.flatMap(ownStages));
  expect(pipeline.stages.filter((name) => !used.has(name))).toEqual(['route', 'cors', 'checkResponse', 'write']);
});

it('gives a public operation no auth stages, and one without a request body no body stage', () => {
  const stagesOf = (operationId: string) => ownStages(routeOf(operationId)).join(' ');
  // Public, with a body: the token endpoint.
  expect(stagesOf('issueToken')).toBe('negotiate readBody validate invoke');
  // Public, without a body or a cache.
  expect(stagesOf('getHealth')).toBe('negotiate validate invoke');
  // Public, with a body, producing none.
  expect(stagesOf('revokeToken')).toBe('readBody validate invoke');
  // Secured, without a body, cached (x-cache).
  expect(stagesOf('getItem')).toBe(
    'negotiate verifyCredentials prefetchCache checkCredentials authorize validate cache',
  );
  // Secured, with a body, invalidating (x-invalidates).
  expect(stagesOf('createItem')).toBe('negotiate readBody verifyCredentials checkCredentials authorize validate cache');
  // Secured, without a body, neither cached nor invalidating (x-cache: false).
  expect(stagesOf('getCurrentUser')).toBe('negotiate verifyCredentials checkCredentials authorize validate invoke');
  // And so for every operation of the document.
  const auth = ['verifyCredentials', 'checkCredentials', 'authorize'];
  for (const route of pipeline.routes) {
    const own = ownStages(route);
    expect({
      operationId: route.op.operationId,
      auth: own.filter((name) => auth.includes(name)),
      body: own.includes('readBody'),
    }).toEqual({
      operationId: route.op.operationId,
      auth: route.security.public ? [] : auth,
      body: route.op.body !== undefined,
    });
  }
});
