/**
 * Everything a request needs to know about the operation it matched, bound once at start-up: the
 * compiled operation, its security plan, its cache policy, its handler, and the stages it runs.
 */
import type { SecurityScheme } from '../../auth/principal';
import { compileCachePolicy, type OperationCachePolicy } from '../../cache/cache-policy';
import type { RawHandler, RoutedContext, Stage, ValidatedContext } from '../context';
import type { OpenApiDocument } from './document';
import { type CompiledOperation, compileOperations } from './operations';
import type { RouteTable } from './route-table';
import type { SchemaCompiler } from './schema-compiler';
import { compileSecurity, type SecurityPlan } from './security';

/** An operation as compiled before its stages are chosen. */
export interface CompiledRoute {
  op: CompiledOperation;
  security: SecurityPlan;
  /** x-cache / x-invalidates, when the app has a cache. */
  cache: OperationCachePolicy | undefined;
  handler: RawHandler;
}

/**
 * The stages of one operation, chosen once at start-up from what it declares (src/pipeline/pipeline.ts
 * lists them in order): between them runs validate, which every operation has.
 */
export interface OperationStages {
  /** Until its input is valid; each refuses the request by throwing. */
  readonly checks: readonly Stage<RoutedContext>[];
  /** After validate: the handler's answer, through the cache where the operation is cached. */
  readonly answer: Stage<ValidatedContext>;
}

export interface OperationRoute extends CompiledRoute {
  readonly stages: OperationStages;
}

export interface RouteOptions {
  handlers: Record<string, RawHandler>;
  securitySchemes: Record<string, SecurityScheme>;
  /** Compile x-cache / x-invalidates (and require them on every operation). */
  caching: boolean;
  /** The stages an operation runs, from what it declares. */
  stages: (route: CompiledRoute) => OperationStages;
}

/**
 * Binds every operation of the document and adds it to `table`; a missing or unknown handler fails
 * at start-up.
 */
export function compileRoutes(
  document: OpenApiDocument,
  compiler: SchemaCompiler,
  table: RouteTable<OperationRoute>,
  opts: RouteOptions,
): OperationRoute[] {
  const bound: [CompiledOperation, RawHandler][] = [];
  const missing: string[] = [];
  for (const op of compileOperations(document, compiler)) {
    const handler = opts.handlers[op.operationId];
    if (handler) bound.push([op, handler]);
    else missing.push(op.operationId);
  }
  if (missing.length) throw new Error(`no handler for operation(s): ${missing.join(', ')}`);
  const ids = new Set(bound.map(([op]) => op.operationId));
  const unknown = Object.keys(opts.handlers).filter((id) => !ids.has(id));
  if (unknown.length) throw new Error(`handlers for operations not in the document: ${unknown.join(', ')}`);

  return bound.map(([op, handler]) => {
    const compiled: CompiledRoute = {
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
      handler,
    };
    const route: OperationRoute = { ...compiled, stages: opts.stages(compiled) };
    table.add(op.method, op.path, route);
    return route;
  });
}
