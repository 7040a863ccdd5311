/**
 * The `htu` of a DPoP proof: the HTTP target URI without query and fragment (RFC 9449 §4.2), compared
 * after syntax-based normalisation (§4.3 step 9, RFC 3986 §6.2.2 and §6.2.3): scheme and host in
 * lower case, the scheme's default port dropped, an empty path as `/`.
 */

const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** The normalised form of `uri` without query and fragment, or undefined when it is no http(s) URI. */
export function normaliseHtu(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (!(url.protocol in DEFAULT_PORT)) return undefined;
  // WHATWG URL already lower-cases scheme and host and drops a default port; said here for the reader.
  const port = url.port && url.port !== DEFAULT_PORT[url.protocol] ? `:${url.port}` : '';
  return `${url.protocol}//${url.hostname}${port}${url.pathname || '/'}`;
}

/**
 * The URI a client addressed, as it must appear in its proof: the service's public URL (no trailing
 * slash) followed by the request path as sent, mount path included, query cut off.
 */
export function requestHtu(publicUrl: string, path: string): string {
  const query = path.indexOf('?');
  return `${publicUrl}${query === -1 ? path : path.slice(0, query)}`;
}
