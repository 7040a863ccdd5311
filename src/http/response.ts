/**
 * A response as the pipeline and the response cache pass it on: the status, the headers, and the
 * body already in the bytes that go on the wire (serialised once, stored and replayed as is).
 */
export interface Response {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string | Buffer | undefined;
  /** The media type, without parameters. */
  contentType: string | undefined;
}
