/**
 * Files served beside the document's operations (the Redoc bundle), answered by the route stage:
 * GET and HEAD, a strong ETag and 304 for a client that holds it (RFC 9110 §13.1.2).
 */
import { noneMatchHits } from '../../http/conditional';
import type { Response } from '../../http/response';
import type { RequestContext } from '../context';

export interface StaticAsset {
  /** Loaded on first use (the Redoc bundle is 1 MB a test rarely needs). */
  load(): { body: Buffer; etag: string };
  contentType: string;
  cacheControl: string;
}

export class StaticAssets {
  private readonly loaded = new Map<string, { body: Buffer; etag: string }>();

  constructor(private readonly assets: Record<string, StaticAsset>) {}

  /** The response for a static path, or undefined when the path is not one. */
  answer(ctx: RequestContext): Response | undefined {
    const asset = this.assets[ctx.path];
    if (!asset || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return undefined;
    let file = this.loaded.get(ctx.path);
    if (!file) this.loaded.set(ctx.path, (file = asset.load()));
    const headers = { etag: file.etag, 'cache-control': asset.cacheControl };
    const held = ctx.req.headers['if-none-match'];
    if (held !== undefined && noneMatchHits(held, file.etag))
      return { status: 304, headers, body: undefined, contentType: undefined };
    return { status: 200, headers, body: file.body, contentType: asset.contentType };
  }
}
