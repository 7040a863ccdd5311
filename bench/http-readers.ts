/**
 * The scenarios of the servers that answer the cached read from the entry the cached service
 * stored, without a database: the fastify peer (peer/server.ts) and the hand-written ideal server
 * (ideal/server.ts). Each gets the cached scenario's request (same item, same token).
 */
import type { Scenario } from './http-common';
import { get } from './http-load';
import type { Server } from './servers';

/** What is wrong with a body that should be the item at path `p`, if anything. */
export const isItemAt = (body: string, p: string) =>
  (JSON.parse(body) as { id?: string }).id === p.split('/').pop() ? undefined : `body is not the item at ${p}`;

const LABELS = {
  peer: 'peer: fastify + glue, cached',
  ideal: 'ideal: node:http by hand, cached',
} as const;

/**
 * The cached scenario's request to `server`, which answers from the entry the cached service
 * stored. The entry lives 300 s (x-cache ttl), so before each of its runs one request to the
 * cached service refills it if it has expired.
 */
export function readerScenario(
  key: keyof typeof LABELS,
  server: Server,
  cached: { origin: string; itemPath: string; headers: Record<string, string> },
): Scenario {
  return {
    key,
    label: LABELS[key],
    server,
    database: '-',
    paths: [cached.itemPath],
    headers: cached.headers,
    status: 200,
    xCache: 'HIT',
    check: isItemAt,
    refresh: async () => {
      const res = await get(cached.origin, cached.itemPath, cached.headers);
      if (res.status !== 200) throw new Error(`refreshing the ${key}'s entry: ${res.status}`);
    },
  };
}
