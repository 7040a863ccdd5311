/**
 * A fetch for the SDK under test: every response it passes back is first checked against the
 * document (test/support/contract.ts), and every exchange is recorded so tests can count calls
 * (e.g. refreshes at POST /token).
 */
import type { OpenApiDocument } from '../../src/pipeline/compile/document';
import { received } from '../support/contract';

export interface Exchange {
  method: string;
  /** Path and query, as sent. */
  path: string;
  status: number;
  /** The Authorization header the request carried. */
  authorization: string | null;
  /** The request's Content-Type. */
  contentType: string | null;
  /** The form fields of a form-encoded request (e.g. grant_type at /token). */
  form: Record<string, string> | undefined;
}

/**
 * @param doc - The document to check against; default the project's, whose checks also count
 *   toward the response-coverage gate (a server that is not the service, such as the mock,
 *   passes the document explicitly so its answers do not count).
 */
export function contractFetch(exchanges: Exchange[] = [], doc?: OpenApiDocument) {
  async function checkedFetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname + url.search;
    const contentType = request.headers.get('content-type');
    const form =
      contentType === 'application/x-www-form-urlencoded'
        ? Object.fromEntries(new URLSearchParams(await request.clone().text()))
        : undefined;
    const response = await fetch(request);
    const text = request.method === 'HEAD' ? '' : await response.clone().text();
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    received(request.method, path, response.status, headers, text, doc);
    exchanges.push({
      method: request.method,
      path,
      status: response.status,
      authorization: request.headers.get('authorization'),
      contentType,
      form,
    });
    return response;
  }
  return Object.assign(checkedFetch, { exchanges });
}

/** The refresh-grant requests among `exchanges`. */
export const refreshes = (exchanges: Exchange[]) =>
  exchanges.filter((e) => e.method === 'POST' && e.path === '/token' && e.form?.grant_type === 'refresh_token');
