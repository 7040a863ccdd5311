/**
 * route: the operation for the method and path, from the table built at start-up, whose own stages
 * run next; else a static asset (the Redoc bundle); else 404, or the embedding app's next handler.
 * A known path with another method is 405 with Allow (RFC 9110 §15.5.6), unless it is a CORS
 * preflight the cors stage answers.
 */
import { ApiError, validationFailed } from '../../core/errors';
import type { OperationRoute } from '../compile/operation-route';
import type { RouteTable } from '../compile/route-table';
import type { RequestContext } from '../context';
import { discardBody } from './read-body';
import type { StaticAssets } from './static-assets';

export interface RouteStageOptions {
  table: RouteTable<OperationRoute>;
  assets: StaticAssets;
  /** OPTIONS on a known path goes on to the cors stage. */
  cors: boolean;
}

export function routeStage(opts: RouteStageOptions) {
  return function route(ctx: RequestContext): void {
    const found = opts.table.lookup(ctx.method, ctx.path);
    if (found?.kind === 'match') {
      const route = found.value;
      ctx.route = route;
      ctx.errorFormat = route.op.errorFormat;
      ctx.pathParams = decodeParams(found.params);
      // Its stages have no readBody to drain what the client sent.
      if (!route.op.body) discardBody(ctx.req);
      return;
    }
    if (found?.kind === 'method') {
      // The path's error format: a 405 from an OAuth endpoint carries its no-store headers too.
      if (found.others.some((r) => r.op.errorFormat === 'oauth')) ctx.errorFormat = 'oauth';
      if (opts.cors && ctx.method === 'OPTIONS') return;
      throw new ApiError('method_not_allowed', {
        detail: `${ctx.method} is not allowed on ${ctx.path}.`,
        allow: found.allow,
      });
    }
    const asset = opts.assets.answer(ctx);
    if (asset) {
      ctx.response = asset;
      return;
    }
    if (ctx.next) {
      ctx.unanswered = 'handed_off';
      return;
    }
    throw new ApiError('not_found', { detail: `No operation at ${ctx.path}.` });
  };
}

/** Percent-decodes the lookup's own (fresh) params object in place. */
function decodeParams(params: Record<string, string>): Record<string, string> {
  for (const name in params) {
    const value = params[name];
    if (value === undefined || !value.includes('%')) continue;
    try {
      params[name] = decodeURIComponent(value);
    } catch {
      throw validationFailed({ in: 'path', pointer: `/${name}`, message: 'is not valid percent-encoding' });
    }
  }
  return params;
}
