/**
 * Everything a request needs to know about the operation it matched, bound once at start-up: the
 * compiled operation, its security plan, its cache policy and its handler.
 */
import type { SecurityScheme } from '../../auth/principal';
import { compileCachePolicy, type OperationCachePolicy } from '../../cache/cache-policy';
import type { RawHandler } from '../context';
import type { OpenApiDocument } from './document';
import { type CompiledOperation, compileOperations } from './operations';
import { RouteTable } from './route-table';
import type { SchemaCompiler } from './schema-compiler';
import { compileSecurity, type SecurityPlan } from './security';

export interface OperationRoute {
  op: CompiledOperation;
  security: SecurityPlan;
  /** x-cache / x-invalidates, when the app has a cache. */
  cache: OperationCachePolicy | undefined;
  handler: RawHandler;
}

export interface RouteOptions {
  handlers: Record<string, RawHandler>;
  securitySchemes: Record<string, SecurityScheme>;
  /** Compile x-cache / x-invalidates (and require them on every operation). */
  caching: boolean;
}

/** Binds every operation of the document; a missing or unknown handler fails at start-up. */
export function compileRoutes(
  document: OpenApiDocument,
  compiler: SchemaCompiler,
  opts: RouteOptions,
): { table: RouteTable<OperationRoute>; routes: OperationRoute[] } {
  const operations = compileOperations(document, compiler);
  const missing = operations.filter((o) => !opts.handlers[o.operationId]).map((o) => o.operationId);
  if (missing.length) throw new Error(`no handler for operation(s): ${missing.join(', ')}`);
  const ids = new Set(operations.map((o) => o.operationId));
  const unknown = Object.keys(opts.handlers).filter((id) => !ids.has(id));
  if (unknown.length) throw new Error(`handlers for operations not in the document: ${unknown.join(', ')}`);

  const table = new RouteTable<OperationRoute>();
  const routes = operations.map((op) => {
    const route: OperationRoute = {
      op,
      security: compileSecurity(op.security, opts.securitySchemes, op.operationId),
      cache: opts.caching
        ? compileCachePolicy({
            operationId: op.operationId,
            method: op.method,
            raw: op.raw,
            pathParams: op.parameters.path?.names ?? [],
          })
        : undefined,
      handler: opts.handlers[op.operationId]!,
    };
    table.add(op.method, op.path, route);
    return route;
  });
  return { table, routes };
}
