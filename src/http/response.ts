/**
 * A response as the pipeline and the response cache pass it on: the status, the headers, and the
 * body already in the bytes that go on the wire (serialised once, stored and replayed as is).
 */
export interface Response {
  status: number;
  /** Lower-case names. */
  headers: ResponseHeaders;
  body: string | Buffer | undefined;
  /** The media type, without parameters. */
  contentType: string | undefined;
}

/**
 * Header fields by lower-case name. A list only for a field that must not be folded into one line:
 * Set-Cookie, one line per cookie (RFC 6265 §3, RFC 9110 §5.3); node's writeHead writes a list as
 * one line each.
 */
export type ResponseHeaders = Record<string, string | string[]>;
