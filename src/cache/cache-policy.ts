/**
 * The cache policy of each operation, read from the document at start-up: `x-cache` on reads
 * (`false`, or `{ttl, scope: shared|private, tags}`) and `x-invalidates` on writes (a list of tags).
 * Tags may name path parameters (`item:{itemId}`), filled in per request. A resource gets caching and
 * invalidation by editing the document alone.
 */

/** A tag template, e.g. `item:{itemId}`, compiled to a function of the path parameters. */
export type TagTemplate = (params: Record<string, unknown>) => string;

export interface ReadPolicy {
  ttlSeconds: number;
  /** shared: one entry for every caller allowed to call; private: one entry per user. */
  scope: 'shared' | 'private';
  tags: TagTemplate[];
}

export interface OperationCachePolicy {
  read?: ReadPolicy;
  invalidates: TagTemplate[];
}

const TAG = /^[A-Za-z0-9:_.-]*(\{[A-Za-z0-9_]+\}[A-Za-z0-9:_.-]*)*$/;

function compileTag(template: string, pathParams: string[], where: string): TagTemplate {
  if (typeof template !== 'string' || template === '' || !TAG.test(template))
    throw new Error(`${where}: invalid tag "${String(template)}"`);
  const names = [...template.matchAll(/\{([A-Za-z0-9_]+)\}/g)].flatMap(([, name]) => name ?? []);
  const unknown = names.filter((n) => !pathParams.includes(n));
  if (unknown.length)
    throw new Error(
      `${where}: tag "${template}" names {${unknown.join('}, {')}}, not a path parameter of the operation`,
    );
  if (names.length === 0) return () => template;
  // Literal text around the parameters: a request concatenates, with no regular expression and no
  // callback (a read's tags are built on every request). `names` is in the template's order.
  const literals = template.split(/\{[A-Za-z0-9_]+\}/);
  return (params) => {
    let tag = literals[0] ?? '';
    for (let i = 0; i < names.length; i++) tag += String(params[names[i] ?? '']) + (literals[i + 1] ?? '');
    return tag;
  };
}

/**
 * Compiles an operation's x-cache / x-invalidates. Throws (at start-up) when a GET lacks x-cache,
 * a write lacks x-invalidates, or a declaration is malformed.
 */
export function compileCachePolicy(op: {
  operationId: string;
  method: string;
  raw: Record<string, unknown>;
  pathParams: string[];
}): OperationCachePolicy {
  const where = `${op.operationId} (${op.method})`;
  const xCache = op.raw['x-cache'];
  const xInvalidates = op.raw['x-invalidates'];
  const isRead = op.method === 'GET';
  if (isRead && xCache === undefined) throw new Error(`${where}: a GET operation must declare x-cache`);
  if (!isRead && xInvalidates === undefined) throw new Error(`${where}: a write operation must declare x-invalidates`);
  if (!isRead && xCache !== undefined && xCache !== false) throw new Error(`${where}: only GET operations are cached`);

  const policy: OperationCachePolicy = { invalidates: [] };
  if (xInvalidates !== undefined) {
    if (!Array.isArray(xInvalidates)) throw new Error(`${where}: x-invalidates must be a list of tags`);
    policy.invalidates = xInvalidates.map((t) => compileTag(t as string, op.pathParams, where));
  }
  if (isRead && xCache !== false) {
    const c = xCache as Record<string, unknown>;
    if (!c || typeof c !== 'object') throw new Error(`${where}: x-cache must be false or {ttl, scope, tags}`);
    const ttl = c.ttl;
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > 86400)
      throw new Error(`${where}: x-cache.ttl must be whole seconds from 1 to 86400`);
    if (c.scope !== 'shared' && c.scope !== 'private')
      throw new Error(`${where}: x-cache.scope must be shared or private`);
    if (!Array.isArray(c.tags) || c.tags.length === 0)
      throw new Error(`${where}: x-cache.tags must name at least one tag`);
    policy.read = {
      ttlSeconds: ttl,
      scope: c.scope,
      tags: c.tags.map((t) => compileTag(t as string, op.pathParams, where)),
    };
  }
  return policy;
}
