/**
 * The Redoc bundle shipped in the redoc package, served by this service (no CDN), with the one
 * reference it makes to another host replaced.
 */
import fs from 'node:fs';
import path from 'node:path';
import { strongEtag } from '../http/conditional';

export const REDOC_BUNDLE_PATH = '/docs/redoc.standalone.js';

const REDOC_BUNDLE_FILE = path.join(
  path.dirname(require.resolve('redoc/package.json')),
  'bundles',
  'redoc.standalone.js',
);
/** Redoc 2's sidebar footer draws its logo from a CDN; no option turns it off. */
export const REDOC_FOOTER_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg';
/** An empty SVG in its place, so the docs page asks nothing of another host. */
export const REDOC_FOOTER_LOGO_LOCAL =
  'data:image/svg+xml,%3Csvg%20xmlns%3D%22http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg%22%20width%3D%221%22%20height%3D%221%22%2F%3E';

/** The bundle as served: its bytes and a strong ETag of them (RFC 9110 §8.8.3). */
export function loadRedocBundle(): { body: Buffer; etag: string } {
  const body = Buffer.from(
    fs.readFileSync(REDOC_BUNDLE_FILE, 'utf8').split(REDOC_FOOTER_LOGO).join(REDOC_FOOTER_LOGO_LOCAL),
  );
  return { body, etag: strongEtag(body) };
}
