/**
 * Response headers of a mock answer: every header the document declares for the status gets a
 * value, so answers carry what clients read (ETag for If-Match / If-None-Match, Location after a
 * create) and required headers never fail response validation. openapi-backend mocks bodies only.
 */
import { strongEtag } from '../http/conditional';

/** A Header Object of the dereferenced document (the parts read here). */
export interface HeaderObject {
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
  schema?: Record<string, unknown>;
}

/** What the headers are derived from: the answer being built. */
export interface MockAnswer {
  status: number;
  /** The request path (a created resource's Location is below it). */
  path: string;
  body: unknown;
}

/**
 * A value for each declared header (lower-case names), `Content-Type` excepted: the pipeline
 * sets it. An optional header with nothing to build a value from is left out.
 */
export function mockHeaders(declared: Record<string, HeaderObject>, answer: MockAnswer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, header] of Object.entries(declared)) {
    const key = name.toLowerCase();
    if (key === 'content-type') continue;
    const value = derived(key, answer) ?? sampled(header);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * ETag and Location follow the body rather than an example: the same body always has the same
 * strong ETag (so If-None-Match gets its 304), and a created resource's Location names its id.
 */
function derived(name: string, { status, path, body }: MockAnswer): string | undefined {
  if (name === 'etag' && body !== undefined) {
    return strongEtag(JSON.stringify(body));
  }
  if (name === 'location' && status === 201 && typeof (body as { id?: unknown } | null)?.id === 'string') {
    return `${path.replace(/\/$/, '')}/${encodeURIComponent((body as { id: string }).id)}`;
  }
  return undefined;
}

/** The header's example, else a value its schema fixes or suggests. */
function sampled(header: HeaderObject): string | undefined {
  const schema = header.schema ?? {};
  const candidates = [
    header.example,
    Object.values(header.examples ?? {})[0]?.value,
    schema.const,
    (schema.enum as unknown[] | undefined)?.[0],
    schema.default,
    schema.example,
    (schema.examples as unknown[] | undefined)?.[0],
  ];
  const found = candidates.find((v) => v !== undefined);
  if (found !== undefined) return String(found);
  if (schema.type === 'integer' || schema.type === 'number') return String(schema.minimum ?? 0);
  if (schema.type === 'boolean') return 'true';
  // A free string: no value would mean anything; a required one needs an example in the document.
  return undefined;
}
